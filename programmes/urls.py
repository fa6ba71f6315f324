from django.urls import path

from programmes import views

app_name = "programmes"

urlpatterns = [
    path("", views.programme_list, name="list"),
    path("calendar/", views.calendar_overrides, name="calendar"),
    path("calendar/<int:pk>/delete/", views.calendar_override_delete, name="calendar_delete"),
    path("<str:code>/", views.programme_detail, name="detail"),
    path("<str:code>/edit/", views.programme_edit, name="edit"),
    path("<str:code>/history/", views.programme_history, name="history"),
]
