"""Small charts drawn on the server as inline SVG: pure functions from numbers to markup.

Why not a charting library: the console has no front-end build and loads nothing from a CDN, and the
three shapes it needs (horizontal bars for a funnel, columns for a distribution, lines for a daily
trend) are a few dozen lines each. Every mark carries its label and value in `data-label` /
`data-value` attributes and a `<title>`, so a screen reader, a test or a curious operator reads the
exact numbers the picture shows. Colours come from CSS classes (`bar-<tone>`, `line-<tone>`), so the
stylesheet owns the look. All text is escaped here: callers pass plain strings.

No text is cut at the edge: the margins are sized from the longest label, tick and note each chart
carries (`text_width`, a deliberately generous estimate for the 12 px sans-serif the charts use, since
the server cannot measure the browser's font), and a bar chart widens to fit its labels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

MAX_WIDTH = 2000
MAX_HEIGHT = 1200
MAX_X_LABELS = 8
_TINY = 1e-12
FONT_SIZE = 12
_FONT = f'font-family="system-ui, sans-serif" font-size="{FONT_SIZE}"'
# Character widths in ems, rounded up from common sans-serif faces (Arial, Roboto, DejaVu Sans, Segoe UI).
_NARROW = set("il.,:;|!'`()[]{}/\\-ftjrI1 ")
_WIDE = set("mwMW%@—–")
_LINE_HEIGHT = 1.25
_EDGE = 4.0  # the least room between a text and the edge of the picture


class ChartError(ValueError):
    """The numbers cannot be drawn (negative, not finite, mismatched lengths…); the message says which."""


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value, an optional text printed beside it, and a colour tone."""

    label: str
    value: float
    note: str = ""
    tone: str = ""


@dataclass(frozen=True)
class Series:
    """One line of a line chart: a value per x label."""

    name: str
    values: tuple[float, ...]
    tone: str = ""


# ---------------------------------------------------------------------------------------- charts


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """How wide `text` can be drawn at `size` px, erring wide, so a margin sized by it never cuts it."""
    ems = 0.0
    for char in text:
        if char in _NARROW:
            ems += 0.4
        elif char in _WIDE:
            ems += 1.0
        elif char.isupper():
            ems += 0.75
        else:
            ems += 0.62
    return ems * size


def bar_chart(
    bars: Sequence[Bar], *, title: str, width: int = 560, row_height: int = 30, label_width: int = 130
) -> str:
    """Horizontal bars, one row each, scaled to the largest value (a funnel reads top to bottom)."""
    _require_title(title)
    _require_size(width, "width", minimum=label_width + 120)
    _require_size(row_height, "row height", minimum=12)
    values = _checked_values([bar.value for bar in bars], "bar")
    if not bars:
        return _empty(title, width, 60, "chart-bars")
    pad = 6
    # Room for the longest label on the left and the longest note on the right; the picture widens
    # rather than cutting either (the page scales the SVG down to fit).
    label_width = max(label_width, math.ceil(max(text_width(bar.label) for bar in bars) + 8 + _EDGE))
    value_room = max(
        90,
        math.ceil(
            max(text_width(bar.note or _number(v)) for bar, v in zip(bars, values, strict=True)) + 6 + _EDGE
        ),
    )
    width = max(width, label_width + value_room + 120)
    height = pad * 2 + row_height * len(bars)
    track = width - label_width - value_room
    largest = max(values)
    scale = track / largest if largest > 0 else 0.0
    parts = [_open(title, width, height, "chart-bars")]
    for index, (bar, value) in enumerate(zip(bars, values, strict=True)):
        top = pad + index * row_height
        middle = top + row_height / 2
        length = value * scale
        parts.append(
            f'<text class="label" x="{label_width - 8}" y="{middle:.1f}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(bar.label)}</text>'
        )
        parts.append(
            f'<rect class="{_classes("bar", bar.tone)}" x="{label_width}" y="{top + 4:.1f}" '
            f'width="{length:.1f}" height="{row_height - 8}" rx="3" {_data(bar.label, value)}>'
            f"<title>{escape(bar.label)}: {escape(_number(value))}</title></rect>"
        )
        parts.append(
            f'<text class="value" x="{label_width + length + 6:.1f}" y="{middle:.1f}" '
            f'dominant-baseline="middle">{escape(bar.note or _number(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def column_chart(bars: Sequence[Bar], *, title: str, width: int = 560, height: int = 240) -> str:
    """Vertical columns over categories, with a y axis from zero (a distribution reads left to right)."""
    _require_title(title)
    _require_size(width, "width", minimum=160)
    _require_size(height, "height", minimum=120)
    values = _checked_values([bar.value for bar in bars], "column")
    if not bars:
        return _empty(title, width, height, "chart-columns")
    top, step = axis(max(values), integer=_all_whole(values))
    plot = _Plot(
        width,
        height,
        top=_EDGE + FONT_SIZE * _LINE_HEIGHT + 4,  # the value printed above the tallest column
        ticks=_tick_labels(top, step),
        x_labels=[bar.label for bar in bars],
    )
    parts = [_open(title, width, height, "chart-columns"), *_y_axis(plot, top, step)]
    slot = plot.width / len(bars)
    column = slot * 0.7
    for index, (bar, value) in enumerate(zip(bars, values, strict=True)):
        centre = plot.left + slot * index + slot / 2
        length = plot.height * value / top
        y = plot.bottom - length
        parts.append(
            f'<rect class="{_classes("bar", bar.tone)}" x="{centre - column / 2:.1f}" y="{y:.1f}" '
            f'width="{column:.1f}" height="{length:.1f}" rx="2" {_data(bar.label, value)}>'
            f"<title>{escape(bar.label)}: {escape(_number(value))}</title></rect>"
        )
        parts.append(
            f'<text class="value" x="{centre:.1f}" y="{y - 4:.1f}" text-anchor="middle">'
            f"{escape(bar.note or _number(value))}</text>"
        )
        parts.append(
            f'<text class="label" x="{centre:.1f}" y="{plot.bottom + 16:.1f}" text-anchor="middle">'
            f"{escape(bar.label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    labels: Sequence[str], series: Sequence[Series], *, title: str, width: int = 560, height: int = 240
) -> str:
    """One line per series over the same x labels (e.g. days), with a legend and a y axis from zero."""
    _require_title(title)
    _require_size(width, "width", minimum=160)
    _require_size(height, "height", minimum=120)
    for line in series:
        if len(line.values) != len(labels):
            raise ChartError(f"series {line.name!r} has {len(line.values)} values for {len(labels)} labels")
    every_value = _checked_values([value for line in series for value in line.values], "point")
    if not labels or not series:
        return _empty(title, width, height, "chart-lines")
    top, step = axis(max(every_value), integer=_all_whole(every_value))
    plot = _Plot(width, height, top=28, ticks=_tick_labels(top, step), x_labels=labels)
    parts = [_open(title, width, height, "chart-lines"), *_y_axis(plot, top, step)]
    gap = plot.width / (len(labels) - 1) if len(labels) > 1 else 0.0

    def x_of(index: int) -> float:
        return plot.left + gap * index if len(labels) > 1 else plot.left + plot.width / 2

    label_every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    for index, label in enumerate(labels):
        if (len(labels) - 1 - index) % label_every == 0:  # counted from the newest, which always shows
            # (the first label, which may be left out, was given room all the same: `_Plot`)
            parts.append(
                f'<text class="label" x="{x_of(index):.1f}" y="{plot.bottom + 16:.1f}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    for number, line in enumerate(series):
        points = [(x_of(i), plot.bottom - plot.height * v / top) for i, v in enumerate(line.values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(
            f'<g class="{_classes("series", line.tone)}" data-series="{escape(line.name, quote=True)}">'
            f'<polyline class="{_classes("line", line.tone)}" fill="none" points="{path}"/>'
        )
        for (x, y), label, value in zip(points, labels, line.values, strict=True):
            parts.append(
                f'<circle class="{_classes("point", line.tone)}" cx="{x:.1f}" cy="{y:.1f}" r="3" '
                f"{_data(label, value)}><title>{escape(line.name)}, {escape(label)}: "
                f"{escape(_number(value))}</title></circle>"
            )
        parts.append("</g>")
        legend_x = plot.left + sum(text_width(s.name) + 40 for s in series[:number])
        parts.append(
            f'<rect class="{_classes("swatch", line.tone)}" x="{legend_x:.1f}" y="6" width="12" height="12" '
            f'rx="2"/><text class="legend" x="{legend_x + 18:.1f}" y="16">{escape(line.name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# ------------------------------------------------------------------------------------------ axes


def axis(largest: float, *, integer: bool, ticks: int = 4) -> tuple[float, float]:
    """The top of a y axis starting at zero and its tick step: a round step ≥ largest / ticks.

    Counts (`integer`) never get fractional ticks; an all-zero chart still gets an axis up to 1.
    """
    if not math.isfinite(largest) or largest < 0:
        raise ChartError(f"an axis needs a finite value ≥ 0, not {largest!r}")
    if largest < _TINY:  # nothing to show (or too small to divide into steps): an axis up to 1
        return float(ticks if integer else 1), 1.0 if integer else 1 / ticks
    step = nice_step(largest / ticks)
    if integer:
        step = max(1.0, float(math.ceil(step)))
    # The 1e-9 forgives float noise in the division (4.000000001 steps are 4), and max() the same noise
    # in the product (4 × 2.5e-06 is 9.999999999999999e-06): the axis always reaches the largest value.
    top = max(step * math.ceil(largest / step - 1e-9), largest)
    return top, step


def nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ that is ≥ `raw` (steps people read at a glance)."""
    if not math.isfinite(raw) or raw <= 0:
        raise ChartError(f"a tick step must be a positive finite number, not {raw!r}")
    exponent = math.floor(math.log10(raw))
    base = 10.0**exponent
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if factor * base >= raw * (1 - 1e-9):
            return factor * base
    return 10 * base  # pragma: no cover - the loop always returns


class _Plot:
    """The rectangle inside the margins where marks are drawn.

    The left margin holds the widest tick label, and each margin half the widest x label (one may be
    drawn next to either edge of the plot): no text reaches the edge of the picture.
    """

    def __init__(
        self,
        width: int,
        height: int,
        *,
        top: float = 12,
        ticks: Sequence[str] = (),
        x_labels: Sequence[str] = (),
    ) -> None:
        widest_tick = max((text_width(tick) for tick in ticks), default=0.0)
        half_label = max((text_width(label) for label in x_labels), default=0.0) / 2
        self.left = max(44.0, widest_tick + 6 + _EDGE, half_label + _EDGE)
        self.right = width - max(10.0, half_label + _EDGE)
        self.top = float(top)
        self.bottom = height - 26.0
        self.width = self.right - self.left
        self.height = self.bottom - self.top


def _tick_labels(top: float, step: float) -> list[str]:
    return [_number(step * index) for index in range(round(top / step) + 1)]


def _y_axis(plot: _Plot, top: float, step: float) -> list[str]:
    parts = []
    count = round(top / step)
    for index in range(count + 1):
        value = step * index
        y = plot.bottom - plot.height * value / top
        parts.append(
            f'<line class="grid" x1="{plot.left:.1f}" x2="{plot.right:.1f}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{plot.left - 6:.1f}" y="{y:.1f}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(_number(value))}</text>'
        )
    return parts


# --------------------------------------------------------------------------------------- helpers


def _open(title: str, width: int, height: int, kind: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title, quote=True)}" {_FONT}>'
        f"<title>{escape(title)}</title>"
    )


def _empty(title: str, width: int, height: int, kind: str) -> str:
    return (
        f'{_open(title, width, height, kind)}<text class="empty" x="{width / 2:.1f}" y="{height / 2:.1f}" '
        'text-anchor="middle" dominant-baseline="middle">No data for this period</text></svg>'
    )


def _data(label: str, value: float) -> str:
    return f'data-label="{escape(label, quote=True)}" data-value="{escape(_number(value), quote=True)}"'


def _classes(kind: str, tone: str) -> str:
    if tone and not tone.replace("-", "").replace("_", "").isalnum():
        raise ChartError(f"a tone is a CSS class suffix (letters, digits, - and _), not {tone!r}")
    return f"{kind} {kind}-{tone}" if tone else kind


def _checked_values(values: Sequence[float], what: str) -> list[float]:
    checked = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ChartError(f"every {what} value must be a number, not {value!r}")
        if not math.isfinite(value) or value < 0:
            raise ChartError(f"every {what} value must be a finite number ≥ 0, not {value!r}")
        checked.append(float(value))
    return checked


def _all_whole(values: Sequence[float]) -> bool:
    return all(float(value).is_integer() for value in values)


def _number(value: float) -> str:
    """12 → "12", 12.5 → "12.5", 0.25 → "0.25" (no float noise such as 0.30000000000000004)."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _require_title(title: str) -> None:
    if not isinstance(title, str) or not title.strip():
        raise ChartError("a chart needs a title (it is what a screen reader announces)")


def _require_size(value: int, what: str, *, minimum: int) -> None:
    limit = MAX_HEIGHT if what == "height" else MAX_WIDTH
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= limit:
        raise ChartError(
            f"chart {what} must be a whole number of pixels from {minimum} to {limit}, not {value!r}"
        )
