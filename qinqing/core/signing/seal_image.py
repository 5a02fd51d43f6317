"""The round red seal drawn for an organisation's seal signature: the name along the upper
arc, a five-pointed star in the middle, the purpose below it (the look of a 公章 under
GA 241 — an image, not the legal seal itself: the signature behind it is what counts)."""

from __future__ import annotations

import math
from functools import lru_cache

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

RED = (212, 0, 0, 255)
_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    configured = getattr(settings, "QINQING_SEAL_FONT", "")
    for path in (configured, *_FONTS) if configured else _FONTS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.382
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(points, fill=RED)


def seal_image(name: str, purpose: str = "", *, size: int = 480) -> Image.Image:
    """An RGBA image `size` pixels square: a red ring, `name` along the upper arc, a star,
    `purpose` (e.g. 评标报告专用章) in a line below the star; transparent elsewhere."""
    scale = 4  # drawn large, then reduced: smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    c = big / 2
    ring = big * 0.035
    draw.ellipse((ring / 2, ring / 2, big - ring / 2, big - ring / 2), outline=RED, width=int(ring))
    _star(draw, c, c, big * 0.16)

    chars = list(name.strip()) or ["?"]
    span = min(math.radians(240), math.radians(24) * len(chars))  # the arc the name takes
    outer = big / 2 - ring * 1.6  # the glyphs' outer edge, just inside the ring
    glyph = int(min(big * 0.13, 0.8 * (outer - big * 0.07) * span / len(chars)))
    font = _font(glyph)
    radius = outer - glyph / 2
    for i, ch in enumerate(chars):
        # From left to right over the top: angle measured from "up", clockwise.
        t = -span / 2 + (span * (i + 0.5) / len(chars))
        tile = Image.new("RGBA", (glyph * 2, glyph * 2), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((glyph, glyph), ch, font=font, fill=RED, anchor="mm")
        tile = tile.rotate(-math.degrees(t), resample=Image.Resampling.BICUBIC)
        x = c + radius * math.sin(t)
        y = c - radius * math.cos(t)
        image.alpha_composite(tile, (int(x - glyph), int(y - glyph)))
    if purpose:
        small = _font(int(big * 0.085))
        draw.text((c, c + big * 0.28), purpose, font=small, fill=RED, anchor="mm")
    return image.resize((size, size), Image.Resampling.LANCZOS)
