"""The standard criteria templates (installed by migration 0006; re-installed on demand, e.g.
after a test flushed the database)."""

from __future__ import annotations

import importlib

from django.apps import apps

from qinqing.bidding.models import CriteriaTemplate

_standard = importlib.import_module("qinqing.bidding.migrations.0006_standard_templates")
STANDARD_NAMES = {spec["method"]: spec["name"] for spec in _standard.TEMPLATES}


def standard_template(method: str) -> CriteriaTemplate:
    """The standard template of an evaluation method ("comprehensive" or "lowest_price")."""
    template = CriteriaTemplate.objects.filter(name=STANDARD_NAMES[method]).first()
    if template is None:
        _standard.install(apps, None)
        template = CriteriaTemplate.objects.get(name=STANDARD_NAMES[method])
    return template
