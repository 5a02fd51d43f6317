"""``{% once_token %}``: the hidden one-time token of a form applied once (`form_once`)."""

from django import template
from django.utils.html import format_html

from qinqing.core.idempotency import FORM_FIELD, form_token

register = template.Library()


@register.simple_tag
def once_token() -> str:
    return format_html('<input type="hidden" name="{}" value="{}">', FORM_FIELD, form_token())
