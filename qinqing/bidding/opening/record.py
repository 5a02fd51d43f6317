"""The frozen opening record (开标记录) shown: on the public page and in the print template."""

from __future__ import annotations

from datetime import datetime

from django.template.loader import render_to_string

SEAL_ANCHOR = "qq-seal"


def record_for_display(record: dict) -> dict:
    """The frozen record with its times as datetimes again (for the templates' filters)."""

    def when(value):
        return datetime.fromisoformat(value) if value else None

    shown = dict(record)
    for key in ("bid_deadline", "started_at", "decrypt_until", "closed_at"):
        shown[key] = when(record.get(key))
    shown["bids"] = [{**b, "decrypted_at": when(b.get("decrypted_at"))} for b in record["bids"]]
    shown["objections"] = [
        {**o, "raised_at": when(o.get("raised_at")), "answered_at": when(o.get("answered_at"))}
        for o in record["objections"]
    ]
    return shown


def print_html(opening, *, seal: bool) -> str:
    """The print template of the record; with `seal`, the slot the centre's seal is drawn in."""
    return render_to_string(
        "bidding/opening/record_print.html",
        {
            "r": record_for_display(opening.record),
            "sha256": opening.record_sha256,
            "seal_anchor": SEAL_ANCHOR if seal else "",
            "centre": opening.section.project.host_centre,
        },
    )
