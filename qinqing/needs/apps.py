from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NeedsConfig(AppConfig):
    name = "qinqing.needs"
    label = "needs"
    verbose_name = _("企业诉求")

    def ready(self) -> None:
        from qinqing.core.frontdoor import register_door
        from qinqing.needs import frontdoor

        register_door(frontdoor.door)
        from qinqing.core.calendar import register_recomputer
        from qinqing.core.navigation import NavEntry, register_nav
        from qinqing.needs import figures, permissions, todos  # noqa: F401
        from qinqing.needs.services import needs_deadlines_recompute

        register_recomputer("needs", _("诉求与整改时限"), needs_deadlines_recompute)

        section = _("服务企业")
        register_nav(NavEntry(_("诉求工单"), "needs:need_list", "needs.view_need", section, 210))
        register_nav(NavEntry(_("问需二维码"), "needs:qr_list", "needs.manage_qr", section, 220))
        register_nav(
            NavEntry(
                _("整改单"), "needs:rectification_list", "needs.view_rectification", section, 230
            )
        )
        register_nav(
            NavEntry(_("服务看板"), "needs:dashboard", "needs.view_dashboard", section, 240)
        )
