"""Server-rendered SVG charts: plain values in, escaped SVG markup out (no Flask, no database).

The Content-Security-Policy allows no inline style, so the markup uses SVG presentation
attributes (``fill=``, ``x=``, ``width=``) and classes that site.css may style further. The
chart scales with its ``viewBox``; the numbers should also be shown as text beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# The drawing's own coordinates; the SVG scales to the width of its box.
# Narrow enough that its text stays legible once shrunk to a phone's width.
WIDTH = 480
HEIGHT = 200
LEFT = 40  # room for the value axis's labels
RIGHT = 6
TOP = 20  # room for the value over the tallest bar
BOTTOM = 26  # room for the bars' labels
FONT_SIZE = 12
# With more bars than this, only every n-th bar is labelled, so labels never overlap.
MAX_LABELS = 6

BAR_FILL = "#2457c5"
AXIS_STROKE = "#9aa3b0"
GRID_STROKE = "#e3e6eb"
TEXT_FILL = "#3b4452"


@dataclass(frozen=True)
class Bar:
    """One bar: its short axis label, its value and an optional longer tooltip."""

    label: str
    value: int
    title: str = ""


def bar_chart(bars: Sequence[Bar], *, name: str, empty: str = "Nothing to show yet.") -> Markup:
    """Return an accessible SVG bar chart of non-negative counts, every text in it escaped."""
    for bar in bars:
        if bar.value < 0:
            raise ValueError(f"bar values must not be negative, got {bar.value} for {bar.label!r}")
    head = (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' width="100%" role="img" aria-label="{escape(name)}"'
        f' font-size="{FONT_SIZE}" font-family="system-ui, sans-serif">'
        f"<title>{escape(name)}</title>"
    )
    parts = [head]
    base = HEIGHT - BOTTOM
    top_value = axis_top(max((bar.value for bar in bars), default=0))
    parts += _grid(top_value, base)
    if top_value == 0:
        parts.append(
            f'<text class="chart-empty" x="{_num((LEFT + WIDTH - RIGHT) / 2)}"'
            f' y="{_num((TOP + base) / 2)}" text-anchor="middle" fill="{TEXT_FILL}">'
            f"{escape(empty)}</text>"
        )
    if bars:
        parts += _bars(bars, top_value, base)
    parts.append(
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}"'
        f' stroke="{AXIS_STROKE}" stroke-width="1"/>'
    )
    parts.append("</svg>")
    # Every value interpolated above is escaped or a number formatted here.
    return Markup("".join(parts))  # noqa: S704


def axis_top(largest: int) -> int:
    """The value at the top of the axis: the largest value rounded up to a whole step."""
    if largest <= 0:
        return 0
    step = axis_step(largest)
    return step * math.ceil(largest / step)


def axis_step(largest: int) -> int:
    """A round step (1, 2 or 5 times a power of ten) that cuts the axis into at most 4 parts."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if largest <= step * 4:
                return step
        magnitude *= 10


def _grid(top_value: int, base: int) -> list[str]:
    """Horizontal grid lines with their values, from 0 to the top of the axis."""
    if top_value == 0:
        return []
    step = axis_step(top_value)
    lines = []
    for value in range(0, top_value + 1, step):
        y = _num(base - (base - TOP) * value / top_value)
        if value:
            lines.append(
                f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}"'
                f' stroke="{GRID_STROKE}" stroke-width="1"/>'
            )
        lines.append(
            f'<text x="{LEFT - 6}" y="{y}" dy="0.35em" text-anchor="end"'
            f' fill="{TEXT_FILL}">{value:,}</text>'
        )
    return lines


def _bars(bars: Sequence[Bar], top_value: int, base: int) -> list[str]:
    """Each bar with its tooltip, its value above it and (some of) the labels below."""
    slot = (WIDTH - LEFT - RIGHT) / len(bars)
    width = slot * 0.7
    every = math.ceil(len(bars) / MAX_LABELS)
    parts = []
    for index, bar in enumerate(bars):
        x = LEFT + slot * index + (slot - width) / 2
        height = (base - TOP) * bar.value / top_value if top_value else 0
        middle = _num(x + width / 2)
        tooltip = escape(bar.title or f"{bar.label}: {bar.value:,}")
        parts.append(
            f'<rect class="bar" x="{_num(x)}" y="{_num(base - height)}" width="{_num(width)}"'
            f' height="{_num(height)}" fill="{BAR_FILL}"><title>{tooltip}</title></rect>'
        )
        if bar.value:
            parts.append(
                f'<text x="{middle}" y="{_num(base - height - 5)}" text-anchor="middle"'
                f' fill="{TEXT_FILL}">{bar.value:,}</text>'
            )
        if (len(bars) - 1 - index) % every == 0:  # the newest bar is always labelled
            parts.append(
                f'<text x="{middle}" y="{base + 17}" text-anchor="middle"'
                f' fill="{TEXT_FILL}">{escape(bar.label)}</text>'
            )
    return parts


def _num(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
