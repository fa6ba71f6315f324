from django.urls import path

from supervision import rule_views, views

app_name = "supervision"

urlpatterns = [
    path("findings/", views.finding_list, name="findings"),
    path("findings/<int:pk>/", views.finding_detail, name="detail"),
    path("findings/<int:pk>/move/", views.finding_move, name="move"),
    path("prices/", views.price_compliance, name="prices"),
    path("rules/", rule_views.rule_list, name="rules"),
    path("rules/<str:rule_id>/toggle/", rule_views.rule_toggle, name="rule_toggle"),
    path(
        "rules/<str:rule_id>/programmes/<int:programme_pk>/",
        rule_views.rule_parameters,
        name="rule_parameters",
    ),
]

# --- Inspection cases (issue 17.2)
from supervision import case_views  # noqa: E402

urlpatterns += [
    path("cases/", case_views.case_list, name="cases"),
    path("findings/<int:pk>/case/", case_views.case_open, name="case_open"),
    path("draws/new/", case_views.draw_new, name="draw_new"),
    path("draws/<int:pk>/", case_views.draw_detail, name="draw"),
    path("cases/<int:pk>/", case_views.case_detail, name="case"),
    path(
        "cases/<int:pk>/evidence/<int:evidence_pk>/", case_views.evidence_download, name="evidence"
    ),
    path("cases/<int:pk>/<slug:action>/", case_views.case_action, name="case_action"),
]
