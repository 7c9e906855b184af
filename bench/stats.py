"""Figures from noisy runs: percentiles, the median of several runs with its spread, and a verdict.

These machines are shared (2 cores), so every benchmark repeats its measurement and reports the
median run with the lowest and highest beside it; a figure is judged against its target on the median.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path


def percentile(values: Sequence[float], pct: float) -> float:
    """The `pct`-th percentile (nearest rank); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Spread:
    """The median of several runs, and the lowest and highest run."""

    median: float
    low: float
    high: float
    runs: list[float]

    @classmethod
    def of(cls, runs: Sequence[float]) -> Spread:
        if not runs:
            raise ValueError("a spread needs at least one run")
        return cls(statistics.median(runs), min(runs), max(runs), list(runs))

    def text(self, fmt: str = "{:,.0f}", unit: str = "") -> str:
        suffix = f" {unit}" if unit else ""
        return f"{fmt.format(self.median)}{suffix} (runs {fmt.format(self.low)}–{fmt.format(self.high)}, n={len(self.runs)})"


@dataclass
class Figure:
    """One benchmark figure against its target."""

    name: str
    value: Spread
    unit: str
    target: str
    met: bool
    detail: dict[str, object] = field(default_factory=dict)

    def line(self, fmt: str = "{:,.2f}") -> str:
        verdict = "MET" if self.met else "MISSED"
        return f"  {self.name}: {self.value.text(fmt, self.unit)}   target {self.target}   [{verdict}]"


@dataclass
class Report:
    """What a benchmark prints and, with `--json`, saves for `run_all.py` and BENCHMARKS.md."""

    benchmark: str
    command: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    machine: dict[str, object] = field(default_factory=lambda: machine())

    def add(self, figure: Figure, fmt: str = "{:,.2f}") -> Figure:
        self.figures.append(figure)
        print(figure.line(fmt), flush=True)
        return figure

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)

    def save(self, path: Path | None) -> None:
        import os

        self.machine["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
        print(f"  machine: {self.machine}", flush=True)
        if path is not None:
            path.write_text(json.dumps(asdict(self), indent=2, default=str))


def machine() -> dict[str, object]:
    """What the figures were measured on, and how busy it was (other work shares these cores)."""
    import os
    import platform
    from datetime import UTC, datetime

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 1) for x in os.getloadavg()],
    }


def ratio(subject: float, baseline: float) -> float:
    return subject / baseline if baseline else math.nan
