from django.urls import path

from patients import disease_views, views

app_name = "patients"

urlpatterns = [
    path("", views.filing_list, name="filing_list"),
    path("lodge/", views.filing_lodge, name="filing_lodge"),
    path("filings/<int:pk>/", views.filing_detail, name="filing_detail"),
    path("filings/<int:pk>/receipt/", views.filing_receipt, name="filing_receipt"),
    path("filings/<int:pk>/preliminary/", views.filing_preliminary, name="filing_preliminary"),
    path("filings/<int:pk>/immediate/", views.filing_immediate, name="filing_immediate"),
    path("filings/<int:pk>/assign/", views.filing_assign, name="filing_assign"),
    path("filings/<int:pk>/decide/", views.filing_decide, name="filing_decide"),
    path("filings/<int:pk>/materials/", views.material_upload, name="material_upload"),
    path("materials/<int:pk>/", views.material_download, name="material_download"),
    path("rosters/", views.roster_list, name="roster_list"),
    path("rosters/submit/", views.roster_submit, name="roster_submit"),
    path("rosters/<int:pk>/", views.roster_detail, name="roster_detail"),
    path("rosters/<int:pk>/assign/", views.roster_assign, name="roster_assign"),
    path("rosters/<int:pk>/pdf/", views.roster_pdf, name="roster_pdf"),
    path("rosters/<int:pk>/xlsx/", views.roster_xlsx, name="roster_xlsx"),
    path("people/", views.patient_list, name="patient_list"),
    path("people/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("people/<int:pk>/reveal/", views.patient_reveal, name="patient_reveal"),
    path(
        "people/<int:pk>/enrolments/<int:enrolment_pk>/choose/",
        views.enrolment_choose,
        name="enrolment_choose",
    ),
    path("people/<int:pk>/proxies/", views.proxy_create, name="proxy_create"),
    path("revoked/<int:organisation_id>/", views.revoked_choices, name="revoked_choices"),
    path("stays/", views.stay_list, name="stay_list"),
    path("stays/import/", views.stay_import, name="stay_import"),
    path("stays/<int:pk>/discharge/", views.stay_discharge, name="stay_discharge"),
    path("retained-cards/", views.retention_list, name="retention_list"),
    path("retained-cards/<int:pk>/<str:action>/", views.retention_act, name="retention_act"),
    path("window/", views.hospital_window, name="hospital_window"),
    path("hospitals/", views.public_hospitals_page, name="public_hospitals"),
    path("diseases/", disease_views.disease_index, name="disease_index"),
    path("diseases/<str:code>/", disease_views.disease_list, name="disease_list"),
    path(
        "diseases/<str:code>/standards/load/",
        disease_views.reference_load,
        name="reference_load",
    ),
    path("diseases/<str:code>/new/", disease_views.disease_edit, name="disease_new"),
    path("diseases/<str:code>/<int:pk>/", disease_views.disease_edit, name="disease_edit"),
    path(
        "diseases/<str:code>/<int:pk>/history/",
        disease_views.disease_history,
        name="disease_history",
    ),
]
