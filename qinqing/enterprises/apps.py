from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    name = "qinqing.enterprises"
    label = "enterprises"
    verbose_name = _("企业与集聚区")

    def ready(self) -> None:
        from qinqing.core.navigation import NavEntry, register_nav
        from qinqing.enterprises import permissions  # noqa: F401

        section = _("服务企业")
        register_nav(
            NavEntry(_("企业名录"), "enterprises:firm_list", "enterprises.view_firm", section, 200)
        )
        register_nav(
            NavEntry(
                _("我的名片与承诺"), "enterprises:my_card", "enterprises.edit_card", section, 205
            )
        )
