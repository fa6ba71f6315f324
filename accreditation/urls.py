from django.urls import path

from accreditation import assessment_views, indicator_views, views

app_name = "accreditation"

urlpatterns = [
    path("applications/", views.application_list, name="applications"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path(
        "applications/<int:pk>/upload/",
        views.application_action,
        {"action": "documents"},
        name="document_upload",
    ),
    path(
        "applications/<int:pk>/do/<slug:action>/",
        views.application_action,
        name="application_action",
    ),
    path("applications/<int:pk>/form.pdf", views.application_form_pdf, name="application_form_pdf"),
    path("applications/<int:pk>/agreement.pdf", views.agreement_pdf, name="agreement_pdf"),
    path("applications/<int:pk>/feedback.pdf", views.feedback_pdf, name="feedback_pdf"),
    path("documents/<int:pk>/", views.document_download, name="document_download"),
    path("review/", views.review_list, name="review"),
    path("review/<int:pk>/", views.application_detail, name="review_detail"),
    path("designations/", views.designation_list, name="designations"),
    path("designations/<int:pk>/", views.designation_detail, name="designation_detail"),
    path(
        "designations/<int:pk>/assessments/",
        assessment_views.sheet_list,
        name="assessment_sheets",
    ),
    path(
        "designations/<int:pk>/assessments/open/",
        assessment_views.sheet_open,
        name="assessment_open",
    ),
    path("assessments/<int:pk>/", assessment_views.sheet_detail, name="assessment_sheet"),
    path("assessments/<int:pk>/score/", assessment_views.sheet_score, name="assessment_score"),
    path(
        "assessments/<int:pk>/conclude/",
        assessment_views.sheet_conclude,
        name="assessment_conclude",
    ),
    path(
        "assessments/<int:pk>/sheet.pdf",
        assessment_views.sheet_pdf,
        name="assessment_sheet_pdf",
    ),
    path(
        "assessment-indicators/<str:code>/",
        indicator_views.indicators,
        name="assessment_indicators",
    ),
    path(
        "assessment-indicators/<str:code>/thresholds/",
        indicator_views.scheme_edit,
        name="assessment_scheme_edit",
    ),
    path(
        "assessment-indicators/<str:code>/<int:pk>/",
        indicator_views.indicator_edit,
        name="assessment_indicator_edit",
    ),
    path(
        "designations/<int:pk>/<slug:action>/",
        views.designation_action,
        name="designation_action",
    ),
]

public_urlpatterns = [
    path("notices/", views.public_notices, name="notices"),
    path("notices/<int:pk>.pdf", views.public_notice_pdf, name="notice_pdf"),
    path("designated/", views.public_designated, name="designated"),
    path("designated/<str:code>.xlsx", views.public_designated_xlsx, name="designated_xlsx"),
]
