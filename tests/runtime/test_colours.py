"""A merchant's colours are shown so people can read them (WCAG AA, 4.5:1)."""

from __future__ import annotations

import pytest

from runtime.colours import contrast, readable_on


@pytest.mark.parametrize("colour, background", [("#E4572E", "#FFFFFF"), ("#D46B08", "#FFF7E6"), ("#07C160", "#FFFFFF"),
                                                ("#FFD666", "#FFFFFF"), ("#333333", "#111111"), ("#abc", "#fff")])
def test_a_colour_too_faint_is_moved_only_as_far_as_it_takes(colour, background):
    shown = readable_on(colour, background)
    assert contrast(shown, background) >= 4.5
    assert contrast(shown, background) < 5.2 or contrast(colour, background) >= 4.5  # no further than needed


def test_a_readable_colour_is_kept():
    assert readable_on("#29335C", "#FFFFFF") == "#29335C"
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21)
