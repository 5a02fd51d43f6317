"""Server-side inline SVG bar charts (no JavaScript)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def bar_chart(rows: list[tuple[str, int]], *, title: str, width: int = 640) -> SafeString:
    """Horizontal bars, one per (label, value); accessible title and values as text."""
    bar_h, gap, label_w = 22, 8, 170
    height = max(1, len(rows)) * (bar_h + gap) + 10
    top = max([v for _, v in rows] + [1])
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(rows):
        y = 5 + i * (bar_h + gap)
        w = int((width - label_w - 60) * value / top)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="13">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="#c8102e" rx="3"/>'
            f'<text x="{label_w + w + 6}" y="{y + 16}" font-size="13">{value}</text>'
        )
    if not rows:
        parts.append('<text x="10" y="20" font-size="13">—</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every label escaped above)
