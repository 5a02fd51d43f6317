from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BriefingConfig(AppConfig):
    name = "qinqing.briefing"
    label = "briefing"
    verbose_name = _("工作简报")

    def ready(self) -> None:
        from qinqing.briefing import frontdoor
        from qinqing.core.frontdoor import register_door

        register_door(frontdoor.door)
        from qinqing.briefing import permissions, todos  # noqa: F401
        from qinqing.core.navigation import NavEntry, register_nav

        section = _("工作简报")
        register_nav(
            NavEntry(_("简报编辑"), "briefing:issue_list", "briefing.contribute", section, 610)
        )
        register_nav(
            NavEntry(_("简报档案"), "briefing:archive", "briefing.view_issue", section, 620)
        )
