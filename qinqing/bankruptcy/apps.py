from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BankruptcyConfig(AppConfig):
    name = "qinqing.bankruptcy"
    label = "bankruptcy"
    verbose_name = _("破产和解")
