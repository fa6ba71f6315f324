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
