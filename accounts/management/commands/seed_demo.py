from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction


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
        if options["quiet"]:
            return
        self.stdout.write("演示账户 Demo logins (用户名 / 密码 / 机构 / 角色):")
        for username, password, org, role in ctx.get("logins", []):
            self.stdout.write(f"  {username:<18} {password:<14} {org} · {role}")
