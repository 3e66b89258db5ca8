"""Demo artwork drawn on the spot (no third-party images to license): a product tile with the
item's initials on a soft two-colour gradient, and banner slides with a headline. Colours come
from a hash of the text, so the same demo always looks the same."""

from __future__ import annotations

import colorsys
import hashlib
import io

from PIL import Image, ImageDraw, ImageFont


def _palette(text: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    hue = int(hashlib.sha256(text.encode()).hexdigest()[:4], 16) / 0xFFFF
    light = tuple(int(c * 255) for c in colorsys.hls_to_rgb(hue, 0.88, 0.55))
    deep = tuple(int(c * 255) for c in colorsys.hls_to_rgb((hue + 0.08) % 1, 0.55, 0.5))
    return light, deep


def _gradient(size: tuple[int, int], top: tuple, bottom: tuple) -> Image.Image:
    image = Image.new("RGB", size, top)
    draw = ImageDraw.Draw(image)
    for y in range(size[1]):
        mix = y / max(size[1] - 1, 1)
        draw.line([(0, y), (size[0], y)], fill=tuple(int(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True)))
    return image


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def product_tile(name: str, size: int = 600) -> bytes:
    light, deep = _palette(name)
    image = _gradient((size, size), light, tuple(min(255, c + 20) for c in light))
    draw = ImageDraw.Draw(image)
    radius = size * 0.3
    centre = size / 2
    draw.ellipse([centre - radius, centre - radius, centre + radius, centre + radius], fill=deep)
    initials = "".join(word[0] for word in name.split()[:2]).upper() or "?"
    font = ImageFont.load_default(size=int(size * 0.2))
    draw.text((centre, centre), initials, fill=(255, 255, 255), font=font, anchor="mm")
    return _png(image)


def banner(title: str, subtitle: str = "", width: int = 720, height: int = 370) -> bytes:
    light, deep = _palette(title)
    image = _gradient((width, height), deep, tuple(max(0, c - 40) for c in deep))
    draw = ImageDraw.Draw(image)
    draw.ellipse([width * 0.72, -height * 0.3, width * 1.2, height * 1.1], fill=light)
    draw.text((width * 0.1, height * 0.42), title, fill=(255, 255, 255), font=ImageFont.load_default(size=52),
              anchor="lm")
    if subtitle:
        draw.text((width * 0.1, height * 0.62), subtitle, fill=(255, 255, 255),
                  font=ImageFont.load_default(size=28), anchor="lm")
    return _png(image)
