from django.urls import path

from patients.views import cards, diseases, filings, hospitals, people, rosters, stays

app_name = "patients"

urlpatterns = [
    path("", filings.filing_list, name="filing_list"),
    path("lodge/", filings.filing_lodge, name="filing_lodge"),
    path("filings/<int:pk>/", filings.filing_detail, name="filing_detail"),
    path("filings/<int:pk>/receipt/", filings.filing_receipt, name="filing_receipt"),
    path("filings/<int:pk>/receipt.pdf", filings.filing_receipt_pdf, name="filing_receipt_pdf"),
    path("filings/<int:pk>/preliminary/", filings.filing_preliminary, name="filing_preliminary"),
    path("filings/<int:pk>/immediate/", filings.filing_immediate, name="filing_immediate"),
    path("filings/<int:pk>/assign/", filings.filing_assign, name="filing_assign"),
    path("filings/<int:pk>/decide/", filings.filing_decide, name="filing_decide"),
    path("filings/<int:pk>/materials/", filings.material_upload, name="material_upload"),
    path("materials/<int:pk>/", filings.material_download, name="material_download"),
    path("rosters/", rosters.roster_list, name="roster_list"),
    path("rosters/submit/", rosters.roster_submit, name="roster_submit"),
    path("rosters/<int:pk>/", rosters.roster_detail, name="roster_detail"),
    path("rosters/<int:pk>/assign/", rosters.roster_assign, name="roster_assign"),
    path("rosters/<int:pk>/pdf/", rosters.roster_pdf, name="roster_pdf"),
    path("rosters/<int:pk>/xlsx/", rosters.roster_xlsx, name="roster_xlsx"),
    path("people/", people.patient_list, name="patient_list"),
    path("people/<int:pk>/", people.patient_detail, name="patient_detail"),
    path("people/<int:pk>/reveal/", people.patient_reveal, name="patient_reveal"),
    path(
        "people/<int:pk>/enrolments/<int:enrolment_pk>/choose/",
        people.enrolment_choose,
        name="enrolment_choose",
    ),
    path("people/<int:pk>/proxies/", people.proxy_create, name="proxy_create"),
    path("revoked/<int:organisation_id>/", people.revoked_choices, name="revoked_choices"),
    path("stays/", stays.stay_list, name="stay_list"),
    path("stays/import/", stays.stay_import, name="stay_import"),
    path("stays/<int:pk>/discharge/", stays.stay_discharge, name="stay_discharge"),
    path("retained-cards/", cards.retention_list, name="retention_list"),
    path("retained-cards/<int:pk>/<str:action>/", cards.retention_act, name="retention_act"),
    path("window/", hospitals.hospital_window, name="hospital_window"),
    path("hospitals/", hospitals.public_hospitals_page, name="public_hospitals"),
    path("diseases/", diseases.disease_index, name="disease_index"),
    path("diseases/<str:code>/", diseases.disease_list, name="disease_list"),
    path(
        "diseases/<str:code>/standards/load/",
        diseases.reference_load,
        name="reference_load",
    ),
    path("diseases/<str:code>/new/", diseases.disease_edit, name="disease_new"),
    path("diseases/<str:code>/<int:pk>/", diseases.disease_edit, name="disease_edit"),
    path(
        "diseases/<str:code>/<int:pk>/history/",
        diseases.disease_history,
        name="disease_history",
    ),
]
