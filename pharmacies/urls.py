from django.urls import path

from pharmacies import views

app_name = "pharmacies"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("staff/", views.staff_list, name="staff"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
]
