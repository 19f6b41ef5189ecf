"""Bar charts as data for server-rendered SVG (``macros/charts.html``): no chart library, no script.

Each chart is drawn from the same rows as the data table printed beside it, so the table is the
accessible equivalent and the picture cannot disagree with it.
"""

from __future__ import annotations

from dataclasses import dataclass

ROW_HEIGHT = 28
LABEL_WIDTH = 170
BAR_AREA = 330
VALUE_WIDTH = 80


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    shown: str  # the value as printed ("42", "35 %", "—")
    y: int
    width: int


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    width: int
    height: int
    label_width: int = LABEL_WIDTH
    bar_area: int = BAR_AREA


def bar_chart(title: str, rows: list[tuple[str, float | None, str]]) -> BarChart:
    """``rows`` are (label, value, value as printed); a missing value draws no bar."""
    top = max((value for _, value, _ in rows if value is not None), default=0.0)
    bars = []
    for index, (label, value, shown) in enumerate(rows):
        width = round(BAR_AREA * value / top) if value and top else 0
        short = label if len(label) <= 24 else label[:23] + "…"
        bars.append(Bar(short, value, shown, index * ROW_HEIGHT, max(width, 2 if value else 0)))
    width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
    return BarChart(title, bars, width, max(len(rows), 1) * ROW_HEIGHT)
