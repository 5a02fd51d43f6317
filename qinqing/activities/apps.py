from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "qinqing.activities"
    label = "activities"
    verbose_name = _("惠企活动")

    def ready(self) -> None:
        from qinqing.activities import frontdoor
        from qinqing.core.frontdoor import register_door

        register_door(frontdoor.door)
        from qinqing.activities import figures, permissions, todos  # noqa: F401
        from qinqing.core.navigation import NavEntry, register_nav

        section = _("服务企业")
        register_nav(
            NavEntry(_("惠企活动"), "activities:event_list", "activities.view_event", section, 250)
        )
        register_nav(
            NavEntry(
                _("可报名的活动"),
                "activities:events_for_me",
                "activities.view_own_events",
                section,
                255,
            )
        )
        register_nav(
            NavEntry(_("走访记录"), "activities:visit_list", "activities.view_visit", section, 260)
        )
        register_nav(
            NavEntry(
                _("志愿监督员"),
                "activities:supervisor_list",
                "activities.view_report",
                section,
                270,
            )
        )
