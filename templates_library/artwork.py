"""Demo artwork drawn on the spot (no third-party images to license). A product tile is a small
composed illustration: the object the item's name speaks of (a shirt, a tote, a bowl of noodles,
a cup of milk tea …) drawn with plain shapes on a two-tone backdrop, with the name set below it.
Banner slides set a headline and a subtitle beside a shape motif. The palette and the small
variations come from a hash of the text, so the same demo always looks the same."""

from __future__ import annotations

import functools
import hashlib
import io
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

RGB = tuple[int, int, int]
SUPERSAMPLE = 2  # shapes are drawn at twice the size and scaled down, for smooth edges


@dataclass(frozen=True)
class Palette:
    paper: RGB  # the background
    wash: RGB  # the second background tone: the backdrop behind the object
    main: RGB  # the object
    trim: RGB  # the object's details, an accent of the opposite temperature
    ink: RGB  # the text


PALETTES = (
    Palette((232, 241, 236), (205, 226, 215), (86, 140, 120), (236, 190, 120), (38, 66, 56)),  # celadon
    Palette((251, 233, 228), (245, 208, 199), (205, 98, 86), (255, 236, 214), (96, 42, 38)),  # blush
    Palette((228, 238, 248), (200, 220, 242), (58, 104, 168), (250, 206, 104), (30, 50, 88)),  # sky
    Palette((248, 239, 224), (238, 222, 194), (178, 122, 72), (64, 96, 120), (84, 56, 32)),  # sand
    Palette((238, 233, 248), (219, 208, 240), (114, 94, 178), (250, 198, 140), (56, 46, 98)),  # lilac
    Palette((226, 245, 240), (194, 233, 224), (36, 136, 124), (255, 170, 122), (22, 72, 66)),  # mint
    Palette((253, 245, 217), (248, 229, 172), (222, 142, 44), (92, 64, 44), (98, 62, 22)),  # butter
    Palette((232, 235, 241), (210, 216, 228), (66, 78, 102), (232, 122, 92), (40, 46, 62)),  # slate
    Palette((255, 236, 228), (252, 214, 198), (232, 104, 76), (58, 84, 126), (104, 40, 28)),  # coral
    Palette((240, 242, 226), (222, 228, 196), (120, 132, 64), (204, 96, 64), (58, 64, 30)),  # olive
)

# Colours of food and materials, whatever the palette.
WHITE, CREAM, RICE = (255, 255, 255), (255, 246, 228), (253, 251, 245)
NOODLE, BROTH, CHILI_OIL = (247, 212, 118), (196, 112, 58), (206, 66, 34)
YOLK, BEEF, PORK = (250, 178, 40), (128, 66, 44), (160, 78, 44)
GREEN, LEAF, CUCUMBER = (104, 176, 84), (62, 128, 66), (196, 226, 150)
DOUGH, CRUST, WOOD = (250, 240, 218), (214, 148, 68), (196, 150, 96)
TEA, MILK_TEA, PEARL, LEMON = (206, 136, 52), (212, 164, 116), (58, 38, 30), (250, 222, 92)
COFFEE, MANGO, RED = (110, 68, 44), (255, 186, 56), (222, 72, 60)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def mix(a: RGB, b: RGB, share: float) -> RGB:
    """`a` with `share` of `b` mixed in."""
    return tuple(round(x + (y - x) * share) for x, y in zip(a, b, strict=True))


def darker(colour: RGB, share: float = 0.2) -> RGB:
    return mix(colour, (0, 0, 0), share)


def lighter(colour: RGB, share: float = 0.3) -> RGB:
    return mix(colour, WHITE, share)


# -- type -------------------------------------------------------------------------------------

_LATIN = {"bold": ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "Arial Bold.ttf", "arialbd.ttf",
                   "Helvetica.ttc"),
          "regular": ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "arial.ttf", "Helvetica.ttc")}
# Shop names and slogans may be Chinese: these fonts also carry CJK (Noto/Source Han, WenQuanYi,
# Droid fallback on Linux, PingFang/Hiragino on macOS, YaHei/SimHei on Windows).
_CJK_ANY = ("wqy-microhei.ttc", "wqy-zenhei.ttc", "DroidSansFallbackFull.ttf", "PingFang.ttc", "Hiragino Sans GB.ttc",
            "msyh.ttc", "simhei.ttf")
_CJK = {"bold": ("NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Bold.otf", "SourceHanSansSC-Bold.otf", "msyhbd.ttc",
                 "NotoSansCJK-Regular.ttc", *_CJK_ANY),
        "regular": ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "SourceHanSansSC-Regular.otf", *_CJK_ANY)}
_FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts",
              Path("/System/Library/Fonts"), Path("/Library/Fonts"), Path("C:/Windows/Fonts"))


@functools.cache
def _installed_fonts() -> dict[str, str]:
    """File name → path of the fonts in the usual folders (looked through once per process)."""
    found: dict[str, str] = {}
    for folder in _FONT_DIRS:
        for root, _dirs, files in os.walk(folder):
            for name in files:
                found.setdefault(name, os.path.join(root, name))
    return found


def _font_file(names: tuple[str, ...]) -> str | None:
    return next((_installed_fonts()[name] for name in names if name in _installed_fonts()), None)


@functools.lru_cache(maxsize=64)
def font(size: int, *, bold: bool = True, cjk: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A clean sans-serif at `size` pixels: a CJK-capable one for Chinese text when the system has
    one, else DejaVu/Liberation/Arial, else Pillow's own."""
    weight = "bold" if bold else "regular"
    path = (_font_file(_CJK[weight]) if cjk else None) or _font_file(_LATIN[weight])
    if not path:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(path, size, index=_simplified_chinese_face(path) if cjk else 0)


@functools.cache
def _simplified_chinese_face(path: str) -> int:
    """Which face of a font collection is the Simplified Chinese one (Noto's .ttc starts with
    Japanese, whose forms of many characters differ)."""
    for index in range(8 if path.lower().endswith(".ttc") else 1):
        try:
            family = ImageFont.truetype(path, 12, index=index).getname()[0] or ""
        except OSError:
            break
        if " SC" in family or "GB" in family:
            return index
    return 0


def _needs_cjk(text: str) -> bool:
    return any(ord(char) >= 0x2E80 for char in text)


def _set_text(draw: ImageDraw.ImageDraw, text: str, *, width: int, sizes: tuple[int, ...], bold: bool = True,
              lines: int = 2) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest of the larger half of `sizes` at which `text` fits `width` on one line, else the
    largest of all at which it fits in `lines` lines (shortened with an ellipsis when it never does)."""
    cjk = _needs_cjk(text)
    for most in range(1, lines + 1):  # one line reads better than two, but not in small print
        for size in sizes[:max(1, len(sizes) // 2)] if most < lines else sizes:
            face = font(size, bold=bold, cjk=cjk)
            wrapped = _wrap(draw, text, face, width)
            if len(wrapped) <= most and all(draw.textlength(line, font=face) <= width for line in wrapped):
                return face, wrapped
    wrapped = _wrap(draw, text, face, width)[:lines]
    while draw.textlength(wrapped[-1] + "…", font=face) > width and len(wrapped[-1]) > 1:
        wrapped[-1] = wrapped[-1][:-1]
    wrapped[-1] = wrapped[-1].rstrip() + "…"
    return face, wrapped


def _wrap(draw, text: str, face, width: int) -> list[str]:
    words = text.split() if not _needs_cjk(text) else list(text)
    joiner = "" if _needs_cjk(text) else " "
    out: list[str] = []
    for word in words:
        if out and draw.textlength(out[-1] + joiner + word, font=face) <= width:
            out[-1] += joiner + word
        else:
            out.append(word)
    return out or [""]


# -- drawing ----------------------------------------------------------------------------------

class Pen:
    """Draws in a 100 × 100 box placed anywhere on the canvas, so that each motif is written once
    in units and lands at whatever size the picture needs."""

    def __init__(self, draw: ImageDraw.ImageDraw, left: float, top: float, size: float):
        self.draw, self.left, self.top, self.k = draw, left, top, size / 100

    def xy(self, points) -> list[tuple[float, float]]:
        return [(self.left + x * self.k, self.top + y * self.k) for x, y in points]

    def box(self, x0, y0, x1, y1) -> list[float]:
        return [self.left + x0 * self.k, self.top + y0 * self.k, self.left + x1 * self.k, self.top + y1 * self.k]

    def poly(self, points, fill: RGB, *, mirror: bool = False) -> None:
        self.draw.polygon(self.xy(points), fill=fill)
        if mirror:
            self.draw.polygon(self.xy([(100 - x, y) for x, y in points]), fill=fill)

    def rect(self, x0, y0, x1, y1, fill: RGB, r: float = 0) -> None:
        self.draw.rounded_rectangle(self.box(x0, y0, x1, y1), radius=r * self.k, fill=fill)

    def oval(self, x0, y0, x1, y1, fill: RGB | None = None, *, outline: RGB | None = None, width: float = 0) -> None:
        self.draw.ellipse(self.box(x0, y0, x1, y1), fill=fill, outline=outline, width=round(width * self.k))

    def dot(self, x, y, r, fill: RGB) -> None:
        self.oval(x - r, y - r, x + r, y + r, fill)

    def chord(self, x0, y0, x1, y1, start, end, fill: RGB) -> None:
        self.draw.chord(self.box(x0, y0, x1, y1), start, end, fill=fill)

    def arc(self, x0, y0, x1, y1, start, end, fill: RGB, width: float) -> None:
        self.draw.arc(self.box(x0, y0, x1, y1), start, end, fill=fill, width=max(1, round(width * self.k)))

    def stroke(self, points, fill: RGB, width: float) -> None:
        """A line with round ends and joints."""
        self.draw.line(self.xy(points), fill=fill, width=max(1, round(width * self.k)), joint="curve")
        for x, y in (points[0], points[-1]):
            self.dot(x, y, width / 2, fill)

    def wave(self, x0, x1, y, amplitude, waves, fill: RGB, width: float) -> None:
        steps = 24
        self.stroke([(x0 + (x1 - x0) * i / steps, y + amplitude * math.sin(i / steps * waves * 2 * math.pi))
                     for i in range(steps + 1)], fill, width)


# -- motifs: clothes, bags and things for the home ----------------------------------------------

def _shirt(pen: Pen, p: Palette, text: str) -> None:
    pen.poly([(30, 16), (14, 30), (8, 80), (19, 82), (27, 44), (30, 42)], darker(p.main, 0.08), mirror=True)
    pen.poly([(30, 16), (42, 11), (58, 11), (70, 16), (71, 92), (29, 92)], p.main)
    pen.rect(7, 76, 20, 83, darker(p.main, 0.18), r=1)
    pen.rect(80, 76, 93, 83, darker(p.main, 0.18), r=1)
    pen.poly([(42, 11), (50, 22), (38, 25)], lighter(p.main, 0.55), mirror=True)
    pen.rect(48.8, 22, 51.2, 92, darker(p.main, 0.12))
    for y in (32, 46, 60, 74):
        pen.dot(50, y, 1.6, p.trim)
    pen.rect(56, 32, 65, 42, darker(p.main, 0.1), r=1)


def _tshirt(pen: Pen, p: Palette, text: str) -> None:
    neck = [(44 + 12 * i / 10, 13 + 6 * math.sin(math.pi * i / 10)) for i in range(11)]
    pen.poly([(34, 13), *neck, (66, 13), (88, 26), (80, 44), (70, 39), (70, 90), (30, 90), (30, 39), (20, 44),
              (12, 26)], p.main)
    pen.stroke(neck, darker(p.main, 0.18), 2.4)
    for y in (50, 60, 70):
        pen.rect(30, y, 70, y + 4.5, lighter(p.trim, 0.1))
    pen.poly([(12, 26), (20, 44), (23, 42.5), (15, 24.5)], darker(p.main, 0.15), mirror=True)


def _sweater(pen: Pen, p: Palette, text: str) -> None:
    pen.poly([(31, 16), (16, 28), (10, 80), (21, 82), (28, 44)], darker(p.main, 0.06), mirror=True)
    pen.poly([(31, 16), (42, 12), (58, 12), (69, 16), (70, 86), (30, 86)], p.main)
    pen.chord(40, 4, 60, 21, 0, 180, darker(p.main, 0.2))
    pen.chord(43, 5, 57, 17, 0, 180, darker(p.main, 0.35))
    for x0, x1, y0 in ((29, 71, 84), (9, 22, 79), (78, 91, 79)):
        pen.rect(x0, y0, x1, y0 + 8, darker(p.main, 0.15), r=1.5)
    for row, y in enumerate((40, 52)):
        pen.stroke([(32 + 4 * i, y + (3 if (i + row) % 2 else 0)) for i in range(10)], p.trim, 2)


def _dress(pen: Pen, p: Palette, text: str) -> None:
    pen.poly([(40, 8), (44, 8), (46, 17), (54, 17), (56, 8), (60, 8), (63, 32), (59, 42), (41, 42), (37, 32)], p.main)
    hem = [(84 - 68 * i / 12, 88 + 3 * math.sin(math.pi * i / 12)) for i in range(13)]
    pen.poly([(42, 44), (58, 44), *hem], p.main)
    for x in (44, 50, 56):
        pen.stroke([(x, 47), (x + (x - 50) * 1.6, 88)], darker(p.main, 0.12), 1.4)
    pen.rect(40, 40, 60, 46, p.trim, r=1.5)
    pen.dot(50, 43, 2.2, lighter(p.trim, 0.5))


def _trousers(pen: Pen, p: Palette, text: str) -> None:
    pen.poly([(30, 17), (70, 17), (76, 92), (57, 92), (50, 38), (43, 92), (24, 92)], p.main)
    pen.rect(29, 9, 71, 18, darker(p.main, 0.15), r=1.5)
    for x in (35, 50, 65):
        pen.rect(x - 1.3, 8, x + 1.3, 19, darker(p.main, 0.3))
    pen.stroke([(50, 18), (50, 34)], darker(p.main, 0.25), 1.2)
    pen.arc(26, 6, 44, 32, 0, 90, darker(p.main, 0.2), 1.4)
    pen.arc(56, 6, 74, 32, 90, 180, darker(p.main, 0.2), 1.4)
    pen.dot(50, 13.5, 1.6, p.trim)


def _shoe(pen: Pen, p: Palette, text: str) -> None:
    toe = [(84 + 12 * math.sin(a / 8 * math.pi / 2), 84 - 16 * math.cos(a / 8 * math.pi / 2)) for a in range(9)]
    pen.poly([(10, 84), (10, 50), (14, 44), (28, 44), (34, 50), (40, 40), (48, 40), (56, 58), (72, 66), *toe], p.main)
    pen.poly([(74, 68), (84, 68), *toe[2:], (74, 84)], lighter(p.main, 0.35))
    pen.rect(9, 46, 17, 84, darker(p.main, 0.18), r=3)
    pen.stroke([(22, 76), (40, 70), (60, 72)], p.trim, 3)
    for i in range(4):
        x, y = 38 + i * 5, 46 + i * 5
        pen.stroke([(x - 3, y + 2), (x + 4, y - 2)], WHITE, 2)
    pen.rect(7, 82, 98, 94, WHITE, r=5)
    pen.rect(7, 87, 98, 89, darker(p.wash, 0.12))


def _tote(pen: Pen, p: Palette, text: str) -> None:
    pen.arc(32, 8, 50, 56, 180, 360, darker(p.main, 0.2), 3.6)
    pen.arc(50, 8, 68, 56, 180, 360, darker(p.main, 0.2), 3.6)
    pen.poly([(20, 32), (80, 32), (86, 92), (14, 92)], p.main)
    pen.rect(20, 32, 80, 38, darker(p.main, 0.1))
    pen.rect(38, 54, 62, 72, lighter(p.trim, 0.2), r=2)
    pen.dot(50, 63, 4, p.main)


def _crossbody(pen: Pen, p: Palette, text: str) -> None:
    pen.arc(20, 4, 80, 80, 190, 350, darker(p.main, 0.3), 2.6)
    pen.rect(16, 40, 84, 88, p.main, r=10)
    pen.rect(16, 40, 84, 58, darker(p.main, 0.12), r=10)
    pen.chord(16, 34, 84, 68, 0, 180, darker(p.main, 0.12))
    pen.rect(46, 58, 54, 68, p.trim, r=2)
    pen.stroke([(24, 80), (76, 80)], lighter(p.main, 0.2), 1)


def _backpack(pen: Pen, p: Palette, text: str) -> None:
    pen.arc(38, 4, 62, 24, 180, 360, darker(p.main, 0.3), 3)
    pen.rect(22, 14, 78, 92, p.main, r=16)
    pen.rect(30, 56, 70, 86, darker(p.main, 0.1), r=8)
    pen.chord(22, 14, 78, 56, 180, 360, darker(p.main, 0.06))
    pen.stroke([(32, 36), (68, 36)], p.trim, 2)
    pen.rect(44, 62, 56, 66, p.trim, r=2)


def _mug(pen: Pen, p: Palette, text: str) -> None:
    for x in (34, 46):
        pen.stroke([(x + 1.5 * math.sin(i / 2.5), 6 + 2.4 * i) for i in range(8)], lighter(p.wash, 0.6), 2)
    pen.oval(58, 40, 86, 72, outline=darker(p.main, 0.1), width=6)
    pen.rect(20, 30, 68, 88, p.main, r=7)
    pen.oval(20, 26, 68, 36, lighter(p.main, 0.2))
    pen.oval(23, 27.5, 65, 34.5, COFFEE)
    pen.rect(20, 62, 68, 68, p.trim)


def _bottle(pen: Pen, p: Palette, text: str) -> None:
    pen.rect(36, 4, 64, 20, darker(p.main, 0.3), r=5)
    pen.rect(33, 18, 67, 24, darker(p.main, 0.15), r=2)
    pen.rect(30, 22, 70, 94, p.main, r=12)
    pen.rect(30, 48, 70, 62, p.trim)
    pen.rect(36, 28, 41, 88, lighter(p.main, 0.3), r=2.5)


def _lamp(pen: Pen, p: Palette, text: str) -> None:
    pen.dot(50, 50, 26, lighter(p.wash, 0.45))
    pen.poly([(32, 12), (68, 12), (82, 46), (18, 46)], p.trim)
    pen.rect(18, 44, 82, 48, darker(p.trim, 0.15))
    pen.rect(47.5, 48, 52.5, 84, WOOD)
    pen.oval(30, 80, 70, 92, darker(WOOD, 0.2))
    pen.chord(30, 76, 70, 90, 180, 360, WOOD)


def _towel(pen: Pen, p: Palette, text: str) -> None:
    colours = (lighter(p.main, 0.55), p.main, lighter(p.trim, 0.2))
    for i, colour in enumerate(colours):
        y = 70 - i * 20
        pen.rect(14 + i * 2, y, 86 - i * 2, y + 20, colour, r=7)
        pen.rect(14 + i * 2, y + 14, 86 - i * 2, y + 16.5, darker(colour, 0.12))
        pen.rect(14 + i * 2, y + 2, 86 - i * 2, y + 4, lighter(colour, 0.4))


def _candle(pen: Pen, p: Palette, text: str) -> None:
    pen.poly([(50, 10), (56, 24), (50, 30), (44, 24)], YOLK)
    pen.dot(50, 24, 4.5, YOLK)
    pen.dot(50, 25, 2.3, WHITE)
    pen.rect(49.2, 28, 50.8, 36, PEARL)
    pen.rect(24, 34, 76, 92, lighter(p.main, 0.25), r=8)
    pen.oval(24, 30, 76, 40, CREAM)
    pen.rect(28, 52, 72, 76, p.trim, r=2)
    pen.rect(34, 58, 66, 70, lighter(p.trim, 0.45), r=1)


def _gift_card(pen: Pen, p: Palette, text: str) -> None:
    pen.rect(14, 30, 92, 80, darker(p.main, 0.2), r=6)
    pen.rect(8, 22, 86, 72, p.main, r=6)
    pen.rect(8, 34, 86, 40, p.trim)
    pen.rect(60, 22, 66, 72, p.trim)
    pen.oval(52, 26, 63, 37, lighter(p.trim, 0.3))
    pen.oval(63, 26, 74, 37, lighter(p.trim, 0.3))
    pen.rect(16, 56, 42, 62, lighter(p.main, 0.35), r=2)


def _gift_box(pen: Pen, p: Palette, text: str) -> None:
    pen.rect(18, 38, 82, 90, p.main, r=3)
    pen.rect(14, 28, 86, 42, darker(p.main, 0.1), r=3)
    pen.rect(46, 28, 54, 90, p.trim)
    pen.oval(30, 12, 50, 30, outline=p.trim, width=4)
    pen.oval(50, 12, 70, 30, outline=p.trim, width=4)


def _parcel(pen: Pen, p: Palette, text: str) -> None:
    card = (218, 172, 118)
    pen.poly([(12, 38), (36, 26), (90, 26), (66, 38)], lighter(card, 0.25))
    pen.poly([(66, 38), (90, 26), (90, 78), (66, 92)], darker(card, 0.12))
    pen.rect(12, 38, 66, 92, card)
    pen.poly([(30, 38), (54, 26), (62, 26), (38, 38)], p.trim)
    pen.rect(30, 38, 38, 60, p.trim)
    pen.rect(44, 70, 60, 84, WHITE, r=1)
    for i in range(3):
        pen.stroke([(46, 74 + i * 3.5), (58 - i * 3, 74 + i * 3.5)], darker(card, 0.3), 1)


def _tag(pen: Pen, p: Palette, text: str) -> None:
    turn = math.radians(-35)

    def turned(*points):
        return [(50 + (x - 50) * math.cos(turn) - (y - 50) * math.sin(turn),
                 50 + (x - 50) * math.sin(turn) + (y - 50) * math.cos(turn)) for x, y in points]

    pen.poly(turned((10, 30), (68, 30), (90, 50), (68, 70), (10, 70)), p.main)
    pen.poly(turned((10, 30), (68, 30), (72, 33.5), (10, 33.5)), lighter(p.main, 0.25))
    pen.dot(*turned((74, 50))[0], 5, lighter(p.wash, 0.5))
    pen.stroke(turned((74, 50), (92, 36), (96, 22)), p.trim, 1.6)
    (x, y), = turned((40, 50))  # an upright per cent sign on the middle of the tag
    pen.stroke([(x - 8, y + 11), (x + 8, y - 11)], WHITE, 3.6)
    for cx, cy in ((x - 8, y - 8), (x + 8, y + 8)):
        pen.oval(cx - 4.5, cy - 4.5, cx + 4.5, cy + 4.5, outline=WHITE, width=3)


def _storefront(pen: Pen, p: Palette, text: str) -> None:
    pen.rect(14, 36, 86, 90, CREAM)
    for i in range(6):
        pen.chord(12 + i * 12.7, 30, 24.7 + i * 12.7, 44, 0, 180, p.main if i % 2 else WHITE)
        pen.rect(12 + i * 12.7, 16, 24.7 + i * 12.7, 37, p.main if i % 2 else WHITE)
    pen.rect(10, 10, 90, 17, darker(p.main, 0.2), r=2)
    pen.rect(22, 54, 46, 90, p.trim, r=1)
    pen.rect(54, 54, 78, 76, lighter(p.wash, 0.4), r=1)
    pen.dot(42, 72, 1.4, CREAM)


# -- motifs: food and drink ---------------------------------------------------------------------

def _bowl(pen: Pen, p: Palette, inside: RGB, *, top: float = 50, left: float = 8, right: float = 92) -> None:
    """A bowl seen from the front, its opening an oval around y = `top` filled with `inside`."""
    depth = 38
    pen.rect(36, top + depth - 6, 64, top + depth + 2, darker(p.main, 0.2), r=2)
    pen.chord(left, top - depth, right, top + depth, 0, 180, p.main)
    pen.arc(left + 1, top - 17, right - 1, top + 17, 8, 172, p.trim, 1.6)
    for i in range(9):
        angle = math.radians(38 + i * 13)
        pen.dot(50 + (right - left) / 2.3 * math.cos(angle), top + 24 * math.sin(angle), 1.4, lighter(p.trim, 0.2))
    pen.oval(left, top - 9, right, top + 9, lighter(p.main, 0.45))
    pen.oval(left + 3, top - 7, right - 3, top + 7, inside)


def _chopsticks(pen: Pen) -> None:
    pen.stroke([(54, 8), (84, 46)], darker(WOOD, 0.1), 3)
    pen.stroke([(62, 5), (90, 42)], WOOD, 3)


def _noodles(pen: Pen, p: Palette, text: str) -> None:
    broth = RED if re.search(r"spic|chili|dan dan|hot", text) else BROTH
    _bowl(pen, p, broth)
    for y, phase in ((46, 0), (50, 1), (54, 0)):
        pen.wave(20 + phase * 3, 72, y, 1.6, 5, NOODLE, 2.2)
    if "beef" in text:
        for x in (26, 38):
            pen.oval(x, 42, x + 14, 49, BEEF)
    else:
        pen.oval(24, 42, 42, 50, PORK)
    pen.oval(56, 40, 70, 50, WHITE)
    pen.dot(63, 45, 3.5, YOLK)
    for x, y in ((46, 44), (50, 52), (74, 47), (34, 53), (54, 47)):
        pen.dot(x, y, 1.8, GREEN)
    _chopsticks(pen)


def _wontons(pen: Pen, p: Palette, text: str) -> None:
    _bowl(pen, p, CHILI_OIL if re.search(r"chili|spic|hot", text) else BROTH)
    for x, y in ((22, 44), (36, 48), (50, 43), (64, 48)):
        pen.oval(x, y - 4, x + 14, y + 5, DOUGH)
        pen.dot(x + 7, y - 1, 2.5, lighter(DOUGH, 0.6))
    for x, y in ((32, 42), (48, 51), (72, 44), (60, 52)):
        pen.dot(x, y, 1.6, GREEN)


def _rice(pen: Pen, p: Palette, text: str) -> None:
    _bowl(pen, p, RICE)
    grain = (240, 200, 110) if "fried" in text else RICE
    pen.chord(16, 26, 84, 62, 180, 360, grain)
    for i in range(14):
        x, y = 22 + (i * 29) % 56, 30 + (i * 13) % 13
        pen.oval(x, y, x + 3, y + 1.6, darker(grain, 0.06))
    if "fried" in text:
        for i, (x, y) in enumerate(((26, 40), (36, 33), (48, 30), (60, 34), (70, 40), (42, 40), (56, 41))):
            pen.dot(x, y, 2, GREEN if i % 2 else (236, 120, 60))
        pen.oval(40, 36, 54, 43, YOLK)
    elif "chicken" in text or "kung pao" in text:
        for x, y in ((34, 36), (50, 31), (58, 38)):
            pen.oval(x, y, x + 5, y + 3.4, (236, 200, 150))
        for x, y in ((28, 38), (40, 32), (54, 34), (64, 40)):
            pen.rect(x, y, x + 9, y + 7, (206, 120, 60), r=2)
        for x, y in ((36, 40), (60, 31), (48, 39)):
            pen.oval(x, y, x + 7, y + 3, RED)
    else:
        for x, y in ((26, 36), (38, 30), (50, 33), (38, 39)):
            pen.rect(x, y, x + 11, y + 9, PORK, r=3)
            pen.rect(x, y, x + 11, y + 3, lighter(PORK, 0.5), r=1.5)
        pen.oval(58, 32, 74, 42, WHITE)
        pen.dot(66, 37, 3.8, YOLK)
    pen.poly([(66, 44), (80, 36), (84, 40), (72, 48)], GREEN)
    _chopsticks(pen)


def _dumpling(pen: Pen, x: float, y: float, width: float, height: float, fried: bool) -> None:
    """One crescent dumpling standing on its base at (x, y), pleated along the top."""
    rx, cx = width / 2, x + width / 2
    top = [(cx - rx * math.cos(math.pi * i / 16), y - height * math.sin(math.pi * i / 16)) for i in range(17)]
    base = [(x + width - width * i / 10, y + height * 0.16 * math.sin(math.pi * i / 10)) for i in range(11)]
    pen.poly(top + base, DOUGH)
    if fried:
        pen.poly(base + [(px, py - height * 0.16) for px, py in reversed(base)], CRUST)
    inner = [(cx - rx * 0.72 * math.cos(math.pi * i / 16), y - height * 0.74 * math.sin(math.pi * i / 16))
             for i in range(3, 14)]
    pen.stroke(inner, lighter(DOUGH, 0.6), 1.4)
    for i in range(4, 13, 2):
        angle = math.pi * i / 16
        outer = (cx - rx * math.cos(angle), y - height * math.sin(angle))
        pen.stroke([outer, (cx - rx * 0.8 * math.cos(angle), y - height * 0.8 * math.sin(angle))],
                   darker(DOUGH, 0.14), 1.3)


def _dumplings(pen: Pen, p: Palette, text: str) -> None:
    pen.oval(2, 62, 98, 96, darker(p.wash, 0.1))
    pen.oval(2, 59, 98, 93, WHITE)
    pen.oval(12, 63, 88, 89, lighter(p.wash, 0.6))
    pen.oval(72, 48, 96, 62, WHITE)
    pen.oval(74, 50, 94, 60, PEARL)
    fried = bool(re.search(r"fried|pan|potsticker|guotie", text))
    for x, y in ((14, 72), (42, 70), (26, 84), (54, 84)):
        _dumpling(pen, x, y, 32, 24, fried)


def _steamer(pen: Pen, p: Palette, text: str) -> None:
    pen.rect(10, 51, 90, 80, WOOD)
    pen.chord(10, 68, 90, 92, 0, 180, WOOD)
    for y in (8, 18):
        pen.arc(10, 40 + y, 90, 62 + y, 10, 170, darker(WOOD, 0.15), 1.6)
    pen.oval(10, 40, 90, 62, lighter(WOOD, 0.2))
    pen.oval(13, 42, 87, 60, darker(WOOD, 0.35))
    for x, y in ((27, 50), (50, 47), (73, 50), (38, 57), (62, 57)):
        pen.oval(x - 14, y - 15, x + 14, y + 6, darker(DOUGH, 0.12))
        pen.oval(x - 13, y - 14, x + 13, y + 5, DOUGH)
        pen.oval(x - 9, y - 4, x + 9, y + 3, lighter(DOUGH, 0.5))
        for i in range(5):
            pen.stroke([(x, y - 13), (x - 6 + i * 3, y - 7 + abs(i - 2) * 0.8)], darker(DOUGH, 0.14), 1)
        pen.dot(x, y - 13, 2, darker(DOUGH, 0.1))
    pen.arc(10, 40, 90, 62, 15, 165, lighter(WOOD, 0.2), 3)


def _salad(pen: Pen, p: Palette, text: str) -> None:
    _bowl(pen, p, LEAF)
    for i, (x, y) in enumerate(((16, 40), (30, 30), (46, 26), (60, 30), (72, 38), (38, 40), (56, 42))):
        pen.oval(x, y, x + 18, y + 12, LEAF if i % 2 else GREEN)
    for x, y in ((28, 38), (48, 34), (64, 42), (40, 46)):
        pen.dot(x, y, 5.5, darker(CUCUMBER, 0.3))
        pen.dot(x, y, 4.5, CUCUMBER)
        pen.dot(x, y, 1.5, lighter(CUCUMBER, 0.5))
    if "cucumber" not in text:
        for x, y in ((56, 34), (34, 32)):
            pen.dot(x, y, 4, RED)
    else:
        for x, y in ((56, 36), (34, 30), (72, 44)):
            pen.oval(x, y, x + 5, y + 2.5, RED)


def _pancake(pen: Pen, p: Palette, text: str) -> None:
    pen.oval(4, 50, 96, 92, WHITE)
    pen.oval(10, 46, 90, 84, CRUST)
    pen.oval(12, 45, 88, 80, lighter(CRUST, 0.3))
    for r in (8, 16, 24, 32):
        pen.arc(50 - r * 1.1, 62 - r * 0.4, 50 + r * 1.1, 62 + r * 0.4, 200, 520, darker(CRUST, 0.1), 1)
    for x, y in ((30, 58), (44, 52), (60, 56), (70, 64), (38, 68), (56, 70)):
        pen.dot(x, y, 1.8, GREEN)
    pen.stroke([(50, 62), (86, 56)], WHITE, 1.3)
    pen.stroke([(50, 62), (34, 78)], WHITE, 1.3)


def _tea(pen: Pen, p: Palette, text: str) -> None:
    pen.arc(8, 28, 36, 62, 90, 270, darker(p.main, 0.15), 4)  # the pot's handle
    pen.poly([(72, 56), (90, 34), (94, 36), (80, 66)], p.main)  # and its spout
    pen.oval(18, 30, 82, 84, p.main)
    pen.chord(32, 18, 68, 42, 180, 360, darker(p.main, 0.1))
    pen.dot(50, 18, 3, p.trim)
    pen.arc(24, 40, 76, 70, 20, 160, p.trim, 2)
    pen.oval(52, 86, 94, 96, darker(p.wash, 0.05))
    pen.chord(56, 62, 90, 96, 0, 180, WHITE)
    pen.oval(56, 74, 90, 84, lighter(p.wash, 0.4))
    pen.oval(58, 75.5, 88, 82.5, TEA)


def _tall_cup(pen: Pen, p: Palette, text: str) -> None:
    liquid = LEMON if "lemon" in text else MANGO if re.search(r"mango|juice", text) else MILK_TEA
    pen.stroke([(60, 0), (53, 36)], p.trim, 4.5)
    pen.poly([(24, 26), (76, 26), (70, 94), (30, 94)], lighter(p.wash, 0.55))
    pen.poly([(26, 34), (74, 34), (69, 92), (31, 92)], liquid)
    if re.search(r"milk|pearl|boba|bubble|brown sugar", text):
        for x0, tilt in ((30, 8), (44, 10), (58, 6)):
            pen.stroke([(x0, 36), (x0 + tilt * 0.4, 48), (x0 - 2, 60), (x0 + tilt * 0.3, 70)], darker(MILK_TEA, 0.3), 3)
        for i in range(13):
            row, col = divmod(i, 5)
            pen.dot(36 + col * 7 + row * 3.5, 88 - row * 6, 3, PEARL)
    if "lemon" in text:
        for x, y in ((40, 50), (58, 64)):
            pen.dot(x, y, 8, lighter(LEMON, 0.1))
            pen.dot(x, y, 6.5, (252, 240, 170))
            pen.stroke([(x - 5, y), (x + 5, y)], lighter(LEMON, 0.1), 0.8)
            pen.stroke([(x, y - 5), (x, y + 5)], lighter(LEMON, 0.1), 0.8)
    pen.rect(22, 22, 78, 28, WHITE, r=2)
    pen.chord(26, 12, 74, 34, 180, 360, lighter(p.wash, 0.75))
    pen.rect(37, 50, 63, 66, WHITE, r=3)
    pen.dot(50, 58, 5, p.main)


def _coffee(pen: Pen, p: Palette, text: str) -> None:
    pen.oval(8, 74, 92, 92, WHITE)
    pen.oval(14, 76, 86, 88, lighter(p.wash, 0.5))
    pen.oval(66, 40, 90, 64, outline=p.main, width=5)
    pen.chord(18, 8, 74, 84, 0, 180, p.main)
    pen.oval(18, 38, 74, 52, lighter(p.main, 0.4))
    pen.oval(21, 39.5, 71, 50.5, COFFEE)
    pen.dot(42, 45, 3.6, CREAM)
    pen.dot(49, 45, 3.6, CREAM)
    pen.poly([(39, 46), (52, 46), (45.5, 50)], CREAM)


def _burger(pen: Pen, p: Palette, text: str) -> None:
    pen.rect(14, 72, 86, 88, CRUST, r=8)
    pen.rect(12, 60, 88, 72, BEEF, r=6)
    pen.poly([(14, 60), (86, 60), (76, 70), (64, 60), (50, 72), (38, 60), (26, 70)], YOLK)
    pen.poly([(10, 58), *[(10 + i * 8, 54 + 5 * (i % 2)) for i in range(11)], (90, 58), (90, 62), (10, 62)], GREEN)
    pen.chord(12, 14, 88, 100, 180, 360, CRUST)
    for x, y in ((30, 30), (44, 24), (58, 28), (70, 36), (38, 40), (54, 38)):
        pen.oval(x, y, x + 4, y + 2.4, CREAM)


def _cake(pen: Pen, p: Palette, text: str) -> None:
    pen.oval(6, 74, 94, 94, WHITE)
    pen.poly([(16, 44), (78, 30), (78, 80), (16, 84)], CREAM)
    pen.poly([(16, 44), (78, 30), (88, 38), (30, 54)], WHITE)
    for y, colour in ((56, p.main), (70, lighter(p.main, 0.3))):
        pen.poly([(16, y), (78, y - 12), (78, y - 8), (16, y + 4)], colour)
    pen.dot(54, 34, 6, RED)
    pen.poly([(50, 29), (54, 24), (58, 29)], GREEN)


def _tart(pen: Pen, p: Palette, text: str) -> None:
    pen.oval(4, 58, 96, 92, WHITE)
    for cx, cy in ((32, 58), (66, 66)):
        for i in range(16):
            angle = i / 16 * 2 * math.pi
            pen.dot(cx + 20 * math.cos(angle), cy + 11 * math.sin(angle), 3.4, CRUST)
        pen.oval(cx - 20, cy - 11, cx + 20, cy + 11, CRUST)
        pen.oval(cx - 16, cy - 8, cx + 16, cy + 8, (252, 206, 86))
        for dx, dy, r in ((-6, -2, 3), (5, 2, 2.2), (8, -4, 1.6)):
            pen.dot(cx + dx, cy + dy, r, (176, 96, 36))


def _dessert_glass(pen: Pen, p: Palette, text: str) -> None:
    pen.oval(30, 88, 70, 96, lighter(p.wash, 0.4))
    pen.rect(47, 60, 53, 92, lighter(p.wash, 0.5))
    pen.chord(16, 6, 84, 72, 0, 180, lighter(p.wash, 0.6))
    pen.chord(19, 12, 81, 68, 0, 180, MANGO)
    pen.oval(16, 32, 84, 46, lighter(MANGO, 0.3))
    for i in range(12):
        pen.dot(24 + (i * 37) % 52, 48 + (i * 11) % 14, 1.8, WHITE)
    for x, y in ((32, 30), (46, 26), (58, 30)):
        pen.rect(x, y, x + 10, y + 9, MANGO, r=2)
    pen.poly([(66, 30), (76, 20), (80, 24)], GREEN)


# -- motifs: services at home, events and stays -------------------------------------------------

def _spray(pen: Pen, p: Palette, text: str) -> None:
    """A spray bottle beside a sponge: cleaning."""
    pen.rect(60, 70, 94, 90, YOLK, r=4)
    pen.rect(60, 70, 94, 76, GREEN, r=3)
    pen.rect(22, 40, 56, 94, p.main, r=8)
    pen.rect(26, 54, 52, 78, lighter(p.main, 0.55), r=3)
    pen.rect(30, 28, 48, 42, darker(p.main, 0.2), r=2)
    pen.poly([(30, 28), (48, 28), (58, 20), (58, 14), (30, 14)], p.trim)
    pen.rect(56, 14, 64, 20, p.trim, r=1)
    for x, y in ((70, 10), (74, 18), (70, 26), (78, 12), (80, 24)):
        pen.dot(x, y, 1.8, lighter(p.main, 0.5))


def _window(pen: Pen, p: Palette, text: str) -> None:
    """A window of four panes, a squeegee's clean stripe across it."""
    pen.rect(14, 10, 86, 90, darker(p.main, 0.1), r=4)
    for x0, y0 in ((20, 16), (52, 16), (20, 52), (52, 52)):
        pen.rect(x0, y0, x0 + 28, y0 + 32, mix(p.wash, WHITE, 0.5), r=2)
    pen.poly([(22, 40), (34, 18), (42, 18), (30, 40)], WHITE)
    pen.poly([(54, 76), (66, 54), (72, 54), (60, 76)], WHITE)
    pen.rect(8, 88, 92, 94, p.trim, r=2)


def _aircon(pen: Pen, p: Palette, text: str) -> None:
    """A wall air conditioner blowing cool air."""
    pen.rect(8, 18, 92, 54, WHITE, r=8)
    pen.rect(8, 44, 92, 54, mix(WHITE, p.wash, 0.5), r=6)
    pen.rect(16, 46, 84, 49, darker(p.wash, 0.15), r=1)
    pen.dot(80, 28, 2.4, GREEN)
    pen.rect(16, 26, 42, 30, lighter(p.main, 0.5), r=2)
    for i, x in enumerate((26, 46, 66)):
        pen.wave(x - 6, x + 6, 70 + i % 2 * 6, 2.5, 1.5, p.main, 3)
        pen.wave(x - 4, x + 8, 84 - i % 2 * 4, 2.5, 1.5, lighter(p.main, 0.4), 3)


def _washer(pen: Pen, p: Palette, text: str) -> None:
    """A front-loading washing machine."""
    pen.rect(14, 8, 86, 94, WHITE, r=6)
    pen.rect(14, 8, 86, 24, mix(WHITE, p.wash, 0.6), r=6)
    pen.dot(26, 16, 3, p.trim)
    pen.rect(46, 14, 76, 18, darker(p.wash, 0.2), r=2)
    pen.dot(50, 58, 26, darker(p.wash, 0.25))
    pen.dot(50, 58, 21, lighter(p.main, 0.45))
    pen.chord(29, 37, 71, 79, 0, 180, p.main)
    pen.oval(36, 46, 50, 54, lighter(p.main, 0.75))


def _wrench(pen: Pen, p: Palette, text: str) -> None:
    """A wrench crossed with a screwdriver: repairs."""
    pen.stroke([(22, 82), (70, 30)], darker(p.main, 0.05), 12)
    pen.dot(74, 26, 14, darker(p.main, 0.05))
    pen.poly([(70, 12), (84, 12), (88, 30), (76, 24)], p.paper)
    pen.stroke([(26, 26), (60, 60)], p.trim, 6)
    pen.stroke([(58, 58), (80, 80)], darker(p.trim, 0.3), 12)


def _portrait(pen: Pen, p: Palette, text: str) -> None:
    """A person in a work tunic with a cap: someone who serves."""
    pen.chord(14, 60, 86, 130, 180, 360, p.main)
    pen.poly([(42, 62), (50, 74), (58, 62)], WHITE)
    pen.rect(44, 50, 56, 64, (233, 182, 146), r=3)
    pen.dot(50, 38, 18, (240, 196, 160))
    pen.chord(31, 16, 69, 50, 180, 360, PEARL)
    pen.rect(30, 24, 70, 30, p.trim, r=3)
    pen.dot(43, 40, 1.8, PEARL)
    pen.dot(57, 40, 1.8, PEARL)
    pen.arc(44, 42, 56, 50, 20, 160, darker(p.trim, 0.3), 1.6)
    pen.rect(60, 80, 72, 86, WHITE, r=1)


def _ticket(pen: Pen, p: Palette, text: str) -> None:
    """An admission ticket with a torn stub."""
    pen.poly([(8, 30), (92, 30), (92, 70), (8, 70)], p.main)
    pen.dot(8, 50, 7, p.paper)
    pen.dot(92, 50, 7, p.paper)
    for y in range(33, 68, 6):
        pen.rect(67, y, 69, y + 3, lighter(p.main, 0.5))
    pen.rect(18, 38, 60, 44, lighter(p.main, 0.7), r=2)
    pen.rect(18, 50, 48, 54, lighter(p.main, 0.5), r=2)
    pen.rect(18, 58, 54, 62, lighter(p.main, 0.5), r=2)
    pen.poly([(80, 42), (82, 47), (87, 47), (83, 51), (85, 56), (80, 53), (75, 56), (77, 51), (73, 47), (78, 47)], p.trim)


def _microphone(pen: Pen, p: Palette, text: str) -> None:
    """A microphone on its stand, for talks, concerts and workshops."""
    pen.rect(46, 56, 54, 88, darker(p.main, 0.2), r=2)
    pen.oval(30, 86, 70, 96, darker(p.main, 0.25))
    pen.arc(30, 30, 70, 66, 0, 180, p.trim, 4)
    pen.rect(38, 8, 62, 52, p.main, r=12)
    for y in (18, 26, 34):
        pen.rect(40, y, 60, y + 2, lighter(p.main, 0.4))


def _bed(pen: Pen, p: Palette, text: str) -> None:
    """A made bed with two pillows: a room for the night."""
    pen.rect(10, 30, 20, 86, WOOD, r=3)
    pen.rect(80, 52, 90, 86, WOOD, r=3)
    pen.rect(14, 58, 86, 76, WHITE, r=4)
    pen.rect(14, 56, 86, 72, p.main, r=4)
    pen.rect(14, 56, 40, 72, lighter(p.main, 0.35), r=4)
    pen.rect(22, 44, 42, 56, WHITE, r=5)
    pen.rect(44, 44, 64, 56, CREAM, r=5)
    pen.rect(12, 76, 88, 82, darker(WOOD, 0.1), r=2)
    pen.dot(72, 26, 8, YOLK)
    pen.dot(76, 23, 7, p.paper)


def _certificate(pen: Pen, p: Palette, text: str) -> None:
    """A certificate: a framed page with lines of text and a red seal with ribbons."""
    pen.rect(12, 14, 88, 86, p.main, r=2)
    pen.rect(17, 19, 83, 81, WHITE, r=1)
    pen.rect(30, 26, 70, 31, darker(p.main, 0.1), r=2)
    for y in (40, 48, 56):
        pen.rect(24, y, 76, y + 3, lighter(p.main, 0.5), r=1)
    pen.poly([(60, 72), (56, 90), (63, 85), (66, 92), (69, 72)], darker(p.trim, 0.2))
    pen.dot(64, 68, 9, (200, 40, 40))
    pen.dot(64, 68, 5, (230, 90, 80))


Motif = Callable[[Pen, Palette, str], None]

# The first rule with a word of the item's name wins; the order settles names with two ("milk tea").
MOTIFS: tuple[tuple[tuple[str, ...], Motif], ...] = (
    (("gift card", "voucher", "e-card"), _gift_card),
    (("certificate", "licence", "license", "diploma", "qualification"), _certificate),
    (("housekeeper", "nanny", "cleaner", "technician", "guide", "host", "therapist"), _portrait),
    (("ticket", "tickets", "pass", "admission", "entry"), _ticket),
    (("concert", "talk", "workshop", "salon", "lecture", "festival", "show", "meetup", "forum"), _microphone),
    (("room", "suite", "bed", "bedroom", "loft", "villa", "cabin", "dorm", "homestay", "stay"), _bed),
    (("window", "windows", "glass"), _window),
    (("air conditioner", "aircon", "ac"), _aircon),
    (("washing machine", "washer", "laundry", "dryer"), _washer),
    (("repair", "repairs", "fix", "plumbing", "plumber", "electrician", "installation"), _wrench),
    (("cleaning", "clean", "housekeeping", "tidy", "tidying", "mopping"), _spray),
    (("milk tea", "bubble", "boba", "lemon tea", "juice", "lemonade", "smoothie", "soda"), _tall_cup),
    (("coffee", "latte", "americano", "cappuccino", "espresso", "mocha"), _coffee),
    (("tea", "teapot", "oolong", "pu'er"), _tea),
    (("wonton", "wontons", "chaoshou"), _wontons),
    (("noodle", "noodles", "ramen", "mian", "udon", "soup"), _noodles),
    (("xiaolongbao", "bao", "baozi", "bun", "buns", "steamed"), _steamer),
    (("dumpling", "dumplings", "jiaozi", "gyoza", "potsticker", "potstickers"), _dumplings),
    (("rice", "bibimbap", "donburi", "congee"), _rice),
    (("salad", "cucumber", "greens", "vegetables"), _salad),
    (("pancake", "flatbread", "bing", "jianbing"), _pancake),
    (("tart", "tarts"), _tart),
    (("sago", "pudding", "parfait", "sundae", "ice cream"), _dessert_glass),
    (("cake", "cheesecake", "mochi", "brownie", "dessert"), _cake),
    (("burger", "hamburger", "sandwich"), _burger),
    (("tshirt", "tee", "tees", "top", "vest"), _tshirt),
    (("dress", "skirt", "qipao", "cheongsam"), _dress),
    (("sweater", "jumper", "cardigan", "knit", "hoodie", "sweatshirt", "pullover"), _sweater),
    (("shirt", "shirts", "blouse", "overshirt"), _shirt),
    (("trousers", "pants", "jeans", "chinos", "shorts", "joggers"), _trousers),
    (("sneaker", "sneakers", "shoe", "shoes", "trainers", "loafers", "boots", "sandals", "slippers"), _shoe),
    (("backpack", "rucksack"), _backpack),
    (("crossbody", "handbag", "purse", "clutch", "satchel"), _crossbody),
    (("tote", "bag", "bags", "shopper"), _tote),
    (("mug", "cup", "cups"), _mug),
    (("tumbler", "bottle", "flask", "thermos"), _bottle),
    (("lamp", "light", "lantern"), _lamp),
    (("towel", "towels", "washcloth", "bathrobe"), _towel),
    (("candle", "candles", "diffuser"), _candle),
    (("delivery", "shipping", "parcel", "express", "courier"), _parcel),
    (("sale", "discount", "coupon", "coupons", "member", "members", "deal", "deals", "offer", "offers"), _tag),
    (("store", "shop", "boutique", "house", "restaurant", "cafe", "kitchen"), _storefront),
)


def motif_for(text: str) -> Motif | None:
    """The drawing the words of `text` ask for, or None when no rule knows them."""
    words = " " + " ".join(re.findall(r"[a-z]+(?:'[a-z]+)*", text.lower().replace("t-shirt", "tshirt"))) + " "
    for keywords, motif in MOTIFS:
        if any(f" {keyword} " in words for keyword in keywords):
            return motif
    return None


# -- composition --------------------------------------------------------------------------------

def _gradient(size: tuple[int, int], corners: tuple[RGB, RGB, RGB, RGB]) -> Image.Image:
    """A smooth blend of four corner colours (top left, top right, bottom left, bottom right),
    worked out on a small grid and enlarged (twice: the last step is a cheap pixel doubling)."""
    steps = 12
    grid = Image.new("RGB", (steps, steps))
    top_left, top_right, bottom_left, bottom_right = corners
    grid.putdata([mix(mix(top_left, top_right, x / (steps - 1)), mix(bottom_left, bottom_right, x / (steps - 1)),
                      y / (steps - 1)) for y in range(steps) for x in range(steps)])
    half = grid.resize((size[0] // 2, size[1] // 2), Image.Resampling.BILINEAR)
    return half.resize(size, Image.Resampling.NEAREST)


def _backdrop(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], top: RGB, bottom: RGB, *,
              arch: bool) -> None:
    """A disc, or an arch (a round top on straight sides), shaded from `top` to `bottom`, drawn a
    line at a time."""
    left, upper, right, lower = box
    radius = (right - left) / 2
    middle = left + radius
    for y in range(int(upper), int(lower) + 1, 2):  # two pixels of the supersampled canvas: one of the picture
        if arch:
            rise = max(0.0, upper + radius - y)
        else:
            rise = abs(y - (upper + lower) / 2)
        half = math.sqrt(max(radius * radius - rise * rise, 0.0))
        if half:
            draw.line([(middle - half, y + 0.5), (middle + half, y + 0.5)], width=2,
                      fill=mix(top, bottom, (y - upper) / (lower - upper)))


def _soft_shadow(canvas: Image.Image, box: tuple[float, float, float, float], colour: RGB) -> None:
    """A blurred oval under the object (drawn small, blurred, then enlarged: cheap and smooth)."""
    shrink, margin = 8, (box[3] - box[1])
    region = tuple(int(v) for v in (box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin))
    width, height = region[2] - region[0], region[3] - region[1]
    mask = Image.new("L", (width // shrink, height // shrink), 0)
    ImageDraw.Draw(mask).ellipse([margin / shrink, margin / shrink, (width - margin) / shrink,
                                  (height - margin) / shrink], fill=170)
    mask = mask.filter(ImageFilter.GaussianBlur(3)).resize((width, height), Image.Resampling.BILINEAR)
    canvas.paste(colour, region, mask)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=3)
    return out.getvalue()


@functools.lru_cache(maxsize=128)  # the same text draws the same picture: later demo shops reuse it
def product_tile(name: str, size: int = 600) -> bytes:
    """A square picture of the object the name speaks of (a gift box when no rule knows it) on a
    two-tone backdrop, the name set underneath."""
    digest = _digest(name)
    palette = PALETTES[digest[0] % len(PALETTES)]
    big = size * SUPERSAMPLE
    canvas = _gradient((big, big), (lighter(palette.paper, 0.5), lighter(palette.paper, 0.2), palette.paper,
                                    mix(palette.paper, palette.wash, 0.3)))
    draw = ImageDraw.Draw(canvas)
    centre, middle, radius = big / 2, big * 0.43, big * 0.34
    arch = not digest[1] % 2
    width = radius * (0.86 if arch else 1)
    _backdrop(draw, (centre - width, middle - radius * (1.06 if arch else 1), centre + width, middle + radius),
              lighter(palette.wash, 0.3), darker(palette.wash, 0.03), arch=arch)
    corner = digest[2] % 4  # a few dots of the accent in one corner
    for row in range(3):
        for col in range(3):
            x = big * (0.08 + col * 0.035) if corner % 2 == 0 else big * (0.85 + col * 0.035)
            y = big * (0.08 + row * 0.035) if corner < 2 else big * (0.64 + row * 0.035)
            draw.ellipse([x - big * 0.006, y - big * 0.006, x + big * 0.006, y + big * 0.006],
                         fill=mix(palette.wash, palette.main, 0.35))
    object_size = big * 0.54
    _soft_shadow(canvas, (centre - object_size * 0.4, middle + object_size * 0.34, centre + object_size * 0.4,
                          middle + object_size * 0.48), darker(palette.wash, 0.16))
    (motif_for(name) or _gift_box)(Pen(draw, centre - object_size / 2, middle - object_size / 2, object_size),
                                   palette, name.lower())
    image = canvas.reduce(SUPERSAMPLE)
    draw = ImageDraw.Draw(image)
    face, lines = _set_text(draw, name, width=int(size * 0.84), sizes=tuple(round(size * s) for s in
                                                                                (0.068, 0.06, 0.052, 0.046)))
    line_height = face.size * 1.22
    bottom = size * 0.93
    for index, line in enumerate(lines):
        draw.text((size / 2, bottom - (len(lines) - 1 - index) * line_height), line, font=face, fill=palette.ink,
                  anchor="md")
    draw.rounded_rectangle([size / 2 - size * 0.035, size * 0.805 - (len(lines) - 1) * line_height,
                            size / 2 + size * 0.035, size * 0.815 - (len(lines) - 1) * line_height],
                           radius=size * 0.005, fill=palette.main)
    return _png(image)


@functools.lru_cache(maxsize=32)
def banner(title: str, subtitle: str = "", width: int = 720, height: int = 370) -> bytes:
    """A wide slide: the headline and subtitle on the left of a deep backdrop, the motif their
    words ask for (or concentric rings) in a light disc on the right."""
    digest = _digest(title)
    palette = PALETTES[digest[0] % len(PALETTES)]
    big = (width * SUPERSAMPLE, height * SUPERSAMPLE)
    canvas = _gradient(big, (lighter(palette.main, 0.08), palette.main, darker(palette.main, 0.16),
                             darker(palette.main, 0.3)))
    draw = ImageDraw.Draw(canvas)
    cx, cy, radius = big[0] * 0.78, big[1] * 0.5, big[1] * 0.42
    for step, share in ((1.55, 0.12), (1.3, 0.2)):
        r = radius * step
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=mix(palette.main, palette.paper, share))
    draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=palette.paper)
    for i in range(4):  # a row of dots under the text
        x = big[0] * 0.08 + i * big[1] * 0.05
        draw.ellipse([x, big[1] * 0.84, x + big[1] * 0.022, big[1] * 0.862], fill=palette.trim)
    motif = motif_for(f"{title} {subtitle}")
    if motif:
        side = radius * 1.3
        motif(Pen(draw, cx - side / 2, cy - side / 2, side), palette, f"{title} {subtitle}".lower())
    else:
        for r, colour in ((0.62, palette.wash), (0.34, palette.trim), (0.14, palette.paper)):
            draw.ellipse([cx - radius * r, cy - radius * r, cx + radius * r, cy + radius * r], fill=colour)
    image = canvas.reduce(SUPERSAMPLE)
    draw = ImageDraw.Draw(image)
    text_width = int((cx - radius) / SUPERSAMPLE - width * 0.08 - 24)  # up to the disc, and a margin
    scale = height / 370
    face, lines = _set_text(draw, title, width=text_width, sizes=tuple(round(s * scale) for s in (52, 46, 40, 34)))
    y = height * (0.36 if subtitle else 0.44) - (len(lines) - 1) * face.size * 0.55
    draw.rounded_rectangle([width * 0.08, y - face.size * 1.25, width * 0.08 + 44 * scale,
                            y - face.size * 1.25 + 6 * scale], radius=3 * scale, fill=palette.trim)
    for line in lines:
        draw.text((width * 0.08, y), line, font=face, fill=WHITE, anchor="lm")
        y += face.size * 1.15
    if subtitle:
        small, sub_lines = _set_text(draw, subtitle, width=text_width, bold=False,
                                     sizes=tuple(round(s * scale) for s in (26, 23, 20)))
        y += small.size * 0.4
        for line in sub_lines:
            draw.text((width * 0.08, y), line, font=small, fill=lighter(palette.paper, 0.3), anchor="lm")
            y += small.size * 1.3
    return _png(image)
