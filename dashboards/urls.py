from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.dashboard, name="index"),
    path("supervision/", views.supervision, name="supervision"),
    path("charts/<slug:key>.svg", views.chart_image, name="chart_svg"),
    path("charts/<slug:key>.xlsx", views.chart_export, name="chart_xlsx"),
]
