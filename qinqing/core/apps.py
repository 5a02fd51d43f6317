from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "qinqing.core"
    label = "core"
    verbose_name = _("平台核心")

    def ready(self) -> None:
        from qinqing.core import (  # noqa: F401  (registrations: checks, figures, lookups)
            checks,
            figures,
            lookups,
            net,
        )
        from qinqing.core.navigation import NavEntry, register_nav

        section = _("平台")
        register_nav(NavEntry(_("统计指标"), "figures", "core.view_figures", section, 900))
        register_nav(NavEntry(_("审计日志"), "audit_list", "core.view_audit", section, 910))
        register_nav(
            NavEntry(_("工作日历"), "calendar_index", "core.manage_calendar", section, 915)
        )
        register_nav(
            NavEntry(_("我的消息"), "notification_list", "core.view_notification", section, 920)
        )
        from qinqing.core.notifier import demo_outbox_active

        if demo_outbox_active():
            register_nav(
                NavEntry(_("演示短信"), "demo_outbox", "core.view_demo_outbox", section, 922)
            )
        register_nav(NavEntry(_("账号与令牌"), "account_tokens", "core.view_token", section, 925))
        register_nav(
            NavEntry(_("API 令牌管理"), "token_admin_list", "core.manage_tokens", section, 930)
        )
