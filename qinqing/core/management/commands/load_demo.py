import importlib
import time
import unicodedata

from django.apps import apps
from django.core.management.base import BaseCommand

from qinqing.core.demo import PUBLIC_STARTS, STARTS, account_rows, demo_password
from qinqing.core.notifier import demo_outbox_active


def _pad(text, width: int) -> str:
    """`text` padded to `width` terminal columns (a Chinese character takes two)."""
    text = str(text)
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - used)


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
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("从哪里开始（角色、账号、起始页）"))
        roles = {username: role for username, role, _ in account_rows()}
        for username, path, what in STARTS:
            self.stdout.write(f"  {_pad(roles[username], 18)} {username:<14} {path:<26} {what}")
        for _app, module in modules:  # a module's own starting points of today (if any)
            for username, path, what in getattr(module, "start_hints", list)():
                self.stdout.write(f"  {_pad(roles[username], 18)} {username:<14} {path:<26} {what}")
        for path, what in PUBLIC_STARTS:
            self.stdout.write(f"  {_pad('公众', 18)} {_pad('（无需登录）', 14)} {path:<26} {what}")
        if demo_outbox_active():
            self.stdout.write("  短信和验证码不真正发送：政府工作人员登录后在 /demo/outbox/ 查看。")
