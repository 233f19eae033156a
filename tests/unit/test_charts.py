"""The SVG bar chart builder: proportional bars, escaped text, empty data, no inline style."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from issuer import charts
from issuer.charts import Bar, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    """The chart as XML: it must be well-formed."""
    return ET.fromstring(markup)  # noqa: S314  (our own output)


def rects(markup: str) -> list[ET.Element]:
    """The chart's bars."""
    return parse(markup).findall(f"{SVG}rect")


def texts(markup: str) -> list[str]:
    """Every text drawn on the chart."""
    return [element.text or "" for element in parse(markup).iter(f"{SVG}text")]


def test_bars_are_proportional_to_their_values() -> None:
    values = [3, 0, 12, 6, 1]
    chart = bar_chart([Bar(f"W{n}", value) for n, value in enumerate(values)], name="Awards")
    bars = rects(chart)
    assert len(bars) == len(values)
    heights = [float(bar.get("height", "nan")) for bar in bars]
    tallest = heights[values.index(12)]
    for value, height in zip(values, heights, strict=True):
        assert height == pytest.approx(tallest * value / 12, abs=0.01)
    # Every bar stands on the same base line, left to right in the order given.
    bases = {round(float(bar.get("y", "0")) + float(bar.get("height", "0")), 2) for bar in bars}
    assert len(bases) == 1
    xs = [float(bar.get("x", "0")) for bar in bars]
    assert xs == sorted(xs)
    # The values are written over the bars (not over empty ones), the labels under them.
    drawn = texts(chart)
    assert {"3", "12", "6", "1", "W0", "W4"} <= set(drawn)


def test_the_axis_ends_on_a_round_number_above_the_largest_value() -> None:
    assert [charts.axis_top(n) for n in (0, 1, 3, 4, 5, 9, 12, 37, 1234)] == [
        0,
        1,
        3,
        4,
        6,
        10,
        15,
        40,
        1500,
    ]
    assert [charts.axis_step(n) for n in (1, 4, 5, 8, 9, 37, 1234)] == [1, 1, 2, 2, 5, 10, 500]
    chart = bar_chart([Bar("a", 37)], name="Awards")
    assert {"0", "10", "20", "30", "40"} <= set(texts(chart))
    assert "1,500" in texts(bar_chart([Bar("a", 1234)], name="n"))


def test_labels_names_and_tooltips_are_escaped() -> None:
    evil = '<script>alert("x")</script>&'
    chart = bar_chart([Bar(evil, 2, title=f"{evil} tip")], name=f"{evil} name")
    assert isinstance(chart, Markup)
    assert "<script" not in chart
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;" in chart
    root = parse(chart)
    assert root.get("aria-label") == f"{evil} name"
    assert root.findtext(f"{SVG}title") == f"{evil} name"
    assert root.findtext(f"{SVG}rect/{SVG}title") == f"{evil} tip"
    assert evil in texts(chart)
    # As Markup, Jinja inserts it as it is, without escaping it a second time.
    assert Markup("{}").format(chart) == chart


def test_a_bar_without_a_title_gets_its_label_and_value() -> None:
    chart = bar_chart([Bar("March", 1234)], name="n")
    assert parse(chart).findtext(f"{SVG}rect/{SVG}title") == "March: 1,234"


def test_empty_data_draws_a_message_and_no_bars() -> None:
    for bars in ([], [Bar("a", 0), Bar("b", 0)]):
        chart = bar_chart(bars, name="Awards per week", empty="No awards yet.")
        assert "No awards yet." in texts(chart)
        assert all(float(rect.get("height", "1")) == 0 for rect in rects(chart))
        assert parse(chart).get("role") == "img"


def test_the_chart_scales_and_needs_no_inline_style() -> None:
    chart = bar_chart([Bar(str(n), n) for n in range(12)], name="Awards")
    root = parse(chart)
    assert root.get("viewBox") == f"0 0 {charts.WIDTH} {charts.HEIGHT}"
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert root.get("role") == "img" and root.get("aria-label") == "Awards"
    assert "style" not in chart
    assert all(rect.get("fill") for rect in rects(chart))


def test_many_bars_label_only_some_but_always_the_newest() -> None:
    bars = [Bar(f"L{n}", 1) for n in range(30)]
    labels = [text for text in texts(bar_chart(bars, name="n")) if text.startswith("L")]
    assert len(labels) <= charts.MAX_LABELS
    assert "L29" in labels


def test_negative_values_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        bar_chart([Bar("a", -1)], name="n")
