from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import DEMO_TOTP_SECRET
from accounts.models import User


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print the demo logins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet", action="store_true", help="do not print the logins")

    def handle(self, *args: Any, **options: Any) -> None:
        ctx: dict[str, Any] = {}
        with transaction.atomic():
            for app in settings.DINGDIAN_APPS:
                if find_spec(f"{app}.demo") is None:
                    continue
                import_module(f"{app}.demo").seed(ctx)
            # The printed logins work as printed: the demo users' first-login password change is
            # waived (real accounts created by an administrator must change theirs).
            User.objects.filter(username__in=[login[0] for login in ctx.get("logins", [])]).update(
                password_change_required=False
            )
        if options["quiet"]:
            return
        self.stdout.write("演示账户 Demo logins (用户名 / 密码 / 机构 / 角色):")
        for username, password, org, role in ctx.get("logins", []):
            self.stdout.write(f"  {username:<18} {password:<14} {org} · {role}")
        self.stdout.write(
            f"\n医保局账户（{'、'.join(ctx.get('second_factor_logins', []))}）登录须双因素认证。"
            "\nBureau logins need a second factor. 演示专用 DEMO ONLY — 在手机验证器 App 中添加"
            f"密钥 / add this secret to an authenticator app: {DEMO_TOTP_SECRET}"
            f"\n  或在命令行 / or on the command line: oathtool --totp -b {DEMO_TOTP_SECRET}"
            "\n  密码之后输入当时的 6 位验证码 / after the password, type the current 6-digit code."
        )
