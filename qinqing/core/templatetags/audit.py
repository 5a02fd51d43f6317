"""`{% audit_described entries as rows %}`: audit entries with who, what and the object's name."""

from django import template

from qinqing.core.audit_labels import describe

register = template.Library()


@register.simple_tag
def audit_described(entries):
    return describe(entries)
