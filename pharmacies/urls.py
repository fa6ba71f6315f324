from django.urls import path

from pharmacies import filing_views, views

app_name = "pharmacies"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("staff/", views.staff_list, name="staff"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/filing/", filing_views.filing_submit, name="filing_submit"),
    path("filings/", filing_views.filing_list, name="filings"),
    path("filings/<int:pk>/", filing_views.filing_detail, name="filing_detail"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
]
