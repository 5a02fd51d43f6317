from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NeedsConfig(AppConfig):
    name = "qinqing.needs"
    label = "needs"
    verbose_name = _("企业诉求")
