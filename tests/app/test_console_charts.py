"""The console's SVG charts: well-formed markup whose marks carry, and are sized by, the numbers given."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from leadorch.app.console.charts import (
    MAX_X_LABELS,
    Bar,
    ChartError,
    Series,
    axis,
    bar_chart,
    column_chart,
    line_chart,
    nice_step,
    text_width,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises if the markup is not well-formed XML
    assert root.tag == f"{SVG}svg"
    return root


def marks(root: ET.Element, tag: str = "rect", css: str = "bar") -> list[ET.Element]:
    return [el for el in root.iter(f"{SVG}{tag}") if css in (el.get("class") or "").split()]


def texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text")]


FUNNEL = [
    Bar("Received", 10),
    Bar("Contacted", 8, note="8 (80%)", tone="contacted"),
    Bar("Booked", 0, tone="booked"),
]


def test_a_bar_chart_has_one_bar_per_value_labelled_and_scaled_to_the_largest() -> None:
    root = parse(bar_chart(FUNNEL, title="Funnel", width=560, label_width=130))
    bars = marks(root)
    assert [(b.get("data-label"), b.get("data-value")) for b in bars] == [
        ("Received", "10"),
        ("Contacted", "8"),
        ("Booked", "0"),
    ]
    widths = [float(b.get("width", "nan")) for b in bars]
    assert widths[0] == pytest.approx(560 - 130 - 90)  # the largest fills the track
    assert widths[1] == pytest.approx(widths[0] * 0.8, abs=0.1)
    assert widths[2] == 0
    assert "8 (80%)" in texts(root)  # a note replaces the plain value
    assert "bar-contacted" in (bars[1].get("class") or "")
    assert root.find(f"{SVG}title").text == "Funnel"  # type: ignore[union-attr]
    assert root.get("aria-label") == "Funnel"


def test_labels_and_titles_are_escaped_so_data_cannot_inject_markup() -> None:
    svg = bar_chart([Bar('<script>alert("x")</script>', 3)], title='Leads & "quotes" <b>')
    root = parse(svg)
    assert "<script>" not in svg
    assert marks(root)[0].get("data-label") == '<script>alert("x")</script>'
    assert root.get("aria-label") == 'Leads & "quotes" <b>'


def test_an_all_zero_chart_still_draws_its_axis_and_an_empty_one_says_so() -> None:
    root = parse(column_chart([Bar("a", 0), Bar("b", 0)], title="Nothing yet"))
    assert [float(b.get("height", "nan")) for b in marks(root)] == [0, 0]
    assert "0" in texts(root)
    for drawn in (bar_chart([], title="t"), column_chart([], title="t"), line_chart([], [], title="t")):
        assert "No data for this period" in texts(parse(drawn))


def test_columns_rise_in_proportion_on_an_axis_with_whole_ticks_for_counts() -> None:
    root = parse(column_chart([Bar("< 1 min", 2), Bar("1–5 min", 1), Bar("> 1 day", 0)], title="Speed"))
    heights = [float(b.get("height", "nan")) for b in marks(root)]
    assert heights[1] == pytest.approx(heights[0] / 2, abs=0.1)
    assert heights[2] == 0
    ticks = [el.text for el in root.iter(f"{SVG}text") if el.get("class") == "tick"]
    assert ticks == ["0", "1", "2"]  # never 0.5 leads


def test_a_line_chart_draws_a_point_per_label_for_each_series_with_a_legend() -> None:
    labels = [f"Jun {day}" for day in range(1, 31)]
    received = tuple(float(day % 4) for day in range(30))
    booked = tuple(float(day % 2) for day in range(30))
    root = parse(
        line_chart(
            labels,
            [Series("Received", received, "received"), Series("Booked", booked, "booked")],
            title="Daily",
        )
    )
    lines = marks(root, "polyline", "line")
    assert len(lines) == 2
    assert len(lines[0].get("points", "").split()) == 30
    points = marks(root, "circle", "point")
    assert [p.get("data-value") for p in points[:4]] == ["0", "1", "2", "3"]
    shown = [el.text for el in root.iter(f"{SVG}text") if el.get("class") == "label"]
    assert len(shown) <= MAX_X_LABELS + 1 and shown[-1] == "Jun 30"
    assert [el.text for el in root.iter(f"{SVG}text") if el.get("class") == "legend"] == [
        "Received",
        "Booked",
    ]


@pytest.mark.parametrize(
    ("draw", "message"),
    [
        (lambda: bar_chart([Bar("a", -1)], title="t"), "≥ 0"),
        (lambda: bar_chart([Bar("a", math.nan)], title="t"), "finite"),
        (lambda: column_chart([Bar("a", True)], title="t"), "must be a number"),  # type: ignore[arg-type]
        (lambda: bar_chart([Bar("a", 1)], title=" "), "needs a title"),
        (lambda: bar_chart([Bar("a", 1, tone="x y")], title="t"), "CSS class suffix"),
        (lambda: column_chart([Bar("a", 1)], title="t", height=10), "height"),
        (lambda: line_chart(["a", "b"], [Series("s", (1.0,))], title="t"), "1 values for 2 labels"),
    ],
)
def test_numbers_that_cannot_be_drawn_are_refused_by_name(draw: object, message: str) -> None:
    with pytest.raises(ChartError, match=message):
        draw()  # type: ignore[operator]


@given(largest=st.floats(min_value=0, max_value=1e9, allow_nan=False), integer=st.booleans())
@example(largest=1e-05, integer=False)  # 4 steps of 2.5e-06 multiply to just under 1e-05
def test_an_axis_always_reaches_the_largest_value_in_a_few_round_steps(largest: float, integer: bool) -> None:
    if integer:
        largest = float(math.ceil(largest))
    top, step = axis(largest, integer=integer)
    assert top >= largest
    count = top / step
    assert abs(count - round(count)) < 1e-6 and 1 <= round(count) <= 5
    if integer:
        assert step >= 1 and step.is_integer()


@given(st.floats(min_value=1e-6, max_value=1e12, allow_nan=False))
def test_a_nice_step_is_one_two_two_and_a_half_or_five_times_a_power_of_ten(raw: float) -> None:
    step = nice_step(raw)
    assert step >= raw * (1 - 1e-9)
    mantissa = step / 10 ** math.floor(math.log10(step) + 1e-12)
    assert any(math.isclose(mantissa, nice, rel_tol=1e-9) for nice in (1, 2, 2.5, 5, 10))
    assert step < raw * 10


# --------------------------------------------------------------------------------- nothing is cut


def text_boxes(root: ET.Element) -> list[tuple[str, float, float, float, float]]:
    """(text, left, right, top, bottom) of every text, from its anchor, baseline and estimated width."""
    boxes = []
    for el in root.iter(f"{SVG}text"):
        content = el.text or ""
        x, y, width = float(el.get("x", "0")), float(el.get("y", "0")), text_width(content)
        left = {"start": x, "middle": x - width / 2, "end": x - width}[el.get("text-anchor", "start")]
        if el.get("dominant-baseline") == "middle":
            top, bottom = y - 7, y + 7
        else:  # an alphabetic baseline: ascenders above, descenders a little below
            top, bottom = y - 12, y + 4
        boxes.append((content, left, left + width, top, bottom))
    return boxes


def assert_inside_the_picture(svg: str) -> None:
    root = parse(svg)
    _, _, width, height = (float(n) for n in root.get("viewBox", "").split())
    cut = [box for box in text_boxes(root) if box[1] < 0 or box[2] > width or box[3] < 0 or box[4] > height]
    assert not cut, f"text outside the {width:g}×{height:g} picture: {cut}"


LONG_LABELS = [
    Bar("Handed to the shop's staff", 1234567, note="1234567 (100%)"),
    Bar("Opted out of every channel", 3, note="3 (0.0%)"),
]


def test_a_bar_charts_left_margin_holds_its_longest_label_and_its_right_margin_the_longest_note() -> None:
    svg = bar_chart(LONG_LABELS, title="Funnel", width=560, label_width=130)
    assert_inside_the_picture(svg)
    root = parse(svg)
    first = marks(root)[0]
    assert float(first.get("x", "0")) >= text_width("Handed to the shop's staff") + 8
    assert_inside_the_picture(bar_chart(FUNNEL, title="Funnel"))


def test_column_and_line_charts_keep_their_ticks_values_and_edge_labels_inside() -> None:
    assert_inside_the_picture(
        column_chart([Bar("Less than one minute", 1_250_000), Bar("More than a whole day", 3)], title="Speed")
    )
    labels = [f"Jun {day}" for day in range(1, 31)]
    assert_inside_the_picture(
        line_chart(
            labels,
            [
                Series("Received", tuple(float(d * 1000) for d in range(30))),
                Series("Booked by the chat", (1.0,) * 30),
            ],
            title="Daily",
        )
    )
    assert_inside_the_picture(line_chart(["Sep 30"], [Series("Received", (4.0,))], title="One day"))


@given(
    st.lists(
        st.tuples(
            st.text(
                alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ %()0123456789–",
                min_size=1,
                max_size=40,
            ),
            st.integers(min_value=0, max_value=10**9),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_no_label_of_any_length_is_cut(rows: list[tuple[str, int]]) -> None:
    bars = [Bar(label, value) for label, value in rows]
    assert_inside_the_picture(bar_chart(bars, title="Bars"))
    assert_inside_the_picture(column_chart(bars, title="Columns", width=2000))
    assert_inside_the_picture(
        line_chart(
            [label for label, _ in rows], [Series("Values", tuple(float(v) for _, v in rows))], title="Lines"
        )
    )
