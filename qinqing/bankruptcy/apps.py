from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BankruptcyConfig(AppConfig):
    name = "qinqing.bankruptcy"
    label = "bankruptcy"
    verbose_name = _("破产和解")

    def ready(self) -> None:
        from qinqing.bankruptcy import frontdoor
        from qinqing.core.frontdoor import register_door

        register_door(frontdoor.door)
        from qinqing.bankruptcy import figures, permissions, todos  # noqa: F401  (registrations)
        from qinqing.bankruptcy.services import case_deadlines_recompute
        from qinqing.core.calendar import register_recomputer
        from qinqing.core.navigation import NavEntry, register_nav

        register_recomputer("bankruptcy", _("破产案件法定期限"), case_deadlines_recompute)

        section = _("破产和解")
        register_nav(
            NavEntry(_("破产案件"), "bankruptcy:case_list", "bankruptcy.view_case", section, 500)
        )
        register_nav(
            NavEntry(
                _("我的债权"), "bankruptcy:creditor_home", "bankruptcy.creditor_home", section, 510
            )
        )
        register_nav(
            NavEntry(
                _("破产和解统计"), "bankruptcy:dashboard", "bankruptcy.view_dashboard", section, 520
            )
        )
