"""Colours people can read: a merchant's colour kept in hue, made only as much darker (or lighter)
as it takes to reach WCAG's 4.5:1 contrast against the background it is shown on."""

from __future__ import annotations

import colorsys
import functools

AA = 4.5


def _rgb(colour: str) -> tuple[float, float, float]:
    text = colour.lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    return tuple(int(text[i:i + 2], 16) / 255 for i in (0, 2, 4))


def _luminance(rgb: tuple[float, float, float]) -> float:
    channels = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(_rgb(one)), _luminance(_rgb(other))), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@functools.lru_cache(maxsize=1024)
def readable_on(colour: str, background: str, ratio: float = AA) -> str:
    """`colour`, or the nearest colour of its hue and saturation (by lightness) that reads on
    `background` at `ratio`."""
    if contrast(colour, background) >= ratio:
        return colour.upper()
    hue, lightness, saturation = colorsys.rgb_to_hls(*_rgb(colour))
    darker = _luminance(_rgb(background)) > 0.18  # a light background wants a darker colour
    step = -0.01 if darker else 0.01
    while 0 <= lightness <= 1:
        lightness += step
        candidate = "#" + "".join(f"{round(c * 255):02X}" for c in colorsys.hls_to_rgb(hue, min(max(lightness, 0), 1), saturation))
        if contrast(candidate, background) >= ratio:
            return candidate
    return "#000000" if darker else "#FFFFFF"
