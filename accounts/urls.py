from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import audit_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("2fa/verify/", views.otp_verify, name="otp_verify"),
    path("2fa/setup/", views.otp_setup, name="otp_setup"),
    path("2fa/setup/qr.svg", views.otp_qr, name="otp_qr"),
    path("security/", views.account_security, name="security"),
    path("workspace/", views.workspace_home, name="workspace"),
    path("workspace/switch/", views.switch_membership, name="switch_membership"),
    path("workspace/<slug:role>/", views.workspace_role, name="workspace_role"),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("api-keys/<int:pk>/revoke/", views.api_key_revoke_view, name="api_key_revoke"),
    path("audit/", audit_views.audit_log, name="audit_log"),
]
