import importlib
import time

from django.apps import apps
from django.core.management.base import BaseCommand

from qinqing.core.demo import account_rows, demo_password


class Command(BaseCommand):
    help = "Load the demo data of every module (idempotent) and print the demo accounts."

    def handle(self, *args, **options):
        modules = []
        for app in apps.get_app_configs():
            if app.name.startswith("qinqing."):
                try:
                    modules.append((app, importlib.import_module(f"{app.name}.demo")))
                except ModuleNotFoundError as exc:
                    if exc.name != f"{app.name}.demo":
                        raise
        for index, (app, module) in enumerate(modules, start=1):
            started = time.monotonic()
            self.stdout.write(f"[{index}/{len(modules)}] {app.verbose_name} …")
            module.load(stdout=self.stdout)
            self.stdout.write(f"      完成，用时 {time.monotonic() - started:.1f} 秒")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"演示账号（密码均为：{demo_password()}）"))
        for username, role, org in account_rows():
            self.stdout.write(f"  {username:<14} {role:<10} {org}")
