from django.urls import path

from supervision import views

app_name = "supervision"

urlpatterns = [
    path("findings/", views.finding_list, name="findings"),
    path("findings/<int:pk>/", views.finding_detail, name="detail"),
    path("findings/<int:pk>/move/", views.finding_move, name="move"),
    path("prices/", views.price_compliance, name="prices"),
]
