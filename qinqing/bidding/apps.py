from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BiddingConfig(AppConfig):
    name = "qinqing.bidding"
    label = "bidding"
    verbose_name = _("远程异地评标")

    def ready(self) -> None:
        from qinqing.bidding import frontdoor
        from qinqing.core.frontdoor import register_door

        register_door(frontdoor.door)
        register_door(frontdoor.opening_records_door)
        register_door(frontdoor.candidates_door)
        from qinqing.bidding import permissions, todos  # noqa: F401  (registrations)
        from qinqing.core.navigation import NavEntry, register_nav

        section = _("远程异地评标")
        register_nav(
            NavEntry(_("评标场次"), "bidding:session_list", "bidding.view_session", section, 200)
        )
        register_nav(
            NavEntry(_("评标统计"), "bidding:dashboard", "bidding.view_session", section, 205)
        )
        register_nav(
            NavEntry(_("专家库"), "bidding:expert_list", "bidding.manage_experts", section, 210)
        )
        register_nav(
            NavEntry(_("评标室与工位"), "bidding:room_list", "bidding.manage_rooms", section, 220)
        )
        register_nav(
            NavEntry(
                _("各中心工位目录"),
                "bidding:room_catalogue",
                "bidding.view_room_catalogue",
                section,
                225,
            )
        )
        register_nav(
            NavEntry(
                _("工位分配与签到"), "bidding:seating_list", "bidding.seat_experts", section, 230
            )
        )
        register_nav(
            NavEntry(_("评标现场监督"), "bidding:live_list", "bidding.view_live", section, 240)
        )
        register_nav(
            NavEntry(
                _("澄清答复"),
                "bidding:bidder_clarifications",
                "bidding.answer_clarification",
                section,
                250,
            )
        )
        register_nav(
            NavEntry(
                _("专家评审费标准"),
                "bidding:fee_standards",
                "bidding.set_fee_standard",
                section,
                260,
            )
        )
        register_nav(
            NavEntry(_("开标大厅"), "bidding:opening_list", "bidding.view_opening", section, 208)
        )
        register_nav(
            NavEntry(_("开标大厅"), "bidding:opening_list", "bidding.attend_opening", section, 246)
        )
        register_nav(NavEntry(_("我的投标"), "bidding:my_bids", "bidding.submit_bid", section, 245))
        register_nav(
            NavEntry(
                _("投标文件接收"),
                "bidding:received_list",
                "bidding.view_bids_received",
                section,
                207,
            )
        )
        register_nav(
            NavEntry(_("定标与中标通知"), "bidding:award_list", "bidding.view_award", section, 209)
        )
        register_nav(
            NavEntry(
                _("公示、异议与通知书"),
                "bidding:award_list",
                "bidding.object_result",
                section,
                247,
            )
        )
