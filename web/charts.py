"""Bar charts as plain SVG geometry, drawn by templates/_chart.html inside the page.

No script and no inline style (the CSP allows neither): the geometry is SVG attributes,
the colours are classes of static/style.css. Every chart carries a title, a one-line
description and its numbers as a table, so a screen reader (or anyone who wants the
exact figures) gets them without reading the bars.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# Horizontal charts: each row is its label on one line, the bar under it.
_H_WIDTH = 560
_H_BAR_MAX = 330
_H_ROW = 40
_H_BAR = 16
# Column charts.
_C_HEIGHT = 180
_C_TOP = 18
_C_BOTTOM = 40
_C_LEFT = 8


@dataclass(frozen=True)
class Segment:
    value: float
    css: str  # a class of static/style.css: the colour
    tip: str  # the tooltip (SVG <title>)


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    tip: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "start"
    css: str = ""


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    width: int
    height: int
    rects: tuple[Rect, ...]
    labels: tuple[Label, ...]
    head: tuple[str, ...]  # the numbers' table
    rows: tuple[tuple[str, ...], ...]
    legend: tuple[tuple[str, str], ...] = field(default=())  # (css, label)

    @property
    def empty(self) -> bool:
        return not self.rects


@dataclass(frozen=True)
class Row:
    """One bar: its label, its stacked segments, the text after it."""

    label: str
    segments: tuple[Segment, ...]
    text: str
    css: str = ""  # for the label, e.g. "late"


def horizontal(
    *,
    id: str,
    title: str,
    description: str,
    rows: Sequence[Row],
    head: tuple[str, ...],
    table: Sequence[tuple[str, ...]],
    scale_max: float | None = None,
    legend: tuple[tuple[str, str], ...] = (),
) -> Chart:
    """Horizontal stacked bars, scaled to `scale_max` (default: the largest total)."""
    largest = max((sum(s.value for s in row.segments) for row in rows), default=0)
    top = scale_max or largest or 1
    rects: list[Rect] = []
    labels: list[Label] = []
    for index, row in enumerate(rows):
        y = index * _H_ROW
        labels.append(Label(0, y + 13, row.label, css=row.css))
        x = 0.0
        for segment in row.segments:
            width = _H_BAR_MAX * segment.value / top
            if width > 0:
                rects.append(
                    Rect(round(x, 1), y + 18, round(width, 1), _H_BAR, segment.css, segment.tip)
                )
            x += width
        labels.append(Label(round(x + 6, 1), y + 31, row.text, css="value"))
    return Chart(
        id=id,
        title=title,
        description=description,
        width=_H_WIDTH,
        height=max(len(rows), 1) * _H_ROW + 4,
        rects=tuple(rects),
        labels=tuple(labels),
        head=head,
        rows=tuple(table),
        legend=legend,
    )


@dataclass(frozen=True)
class Column:
    label: str  # under the column; "" to leave it out (dense weekly charts)
    segments: tuple[Segment, ...]
    text: str  # above the column; "" for none


def columns(
    *,
    id: str,
    title: str,
    description: str,
    items: Sequence[Column],
    head: tuple[str, ...],
    table: Sequence[tuple[str, ...]],
    slot: int = 60,
    legend: tuple[tuple[str, str], ...] = (),
) -> Chart:
    """Vertical stacked columns, `slot` units wide each."""
    largest = max((sum(s.value for s in item.segments) for item in items), default=0) or 1
    plot = _C_HEIGHT - _C_TOP - _C_BOTTOM
    base = _C_TOP + plot
    bar = slot * 0.7
    rects: list[Rect] = []
    labels: list[Label] = []
    for index, item in enumerate(items):
        x = _C_LEFT + index * slot + (slot - bar) / 2
        y = float(base)
        for segment in item.segments:
            height = plot * segment.value / largest
            if height > 0:
                y -= height
                rects.append(
                    Rect(
                        round(x, 1),
                        round(y, 1),
                        round(bar, 1),
                        round(height, 1),
                        segment.css,
                        segment.tip,
                    )
                )
        middle = round(x + bar / 2, 1)
        if item.text:
            labels.append(Label(middle, round(y - 4, 1), item.text, "middle", "value"))
        if item.label:
            labels.append(Label(middle, base + 16, item.label, "middle"))
    return Chart(
        id=id,
        title=title,
        description=description,
        width=_C_LEFT * 2 + slot * max(len(items), 1),
        height=_C_HEIGHT,
        rects=tuple(rects),
        labels=tuple(labels),
        head=head,
        rows=tuple(table),
        legend=legend,
    )


__all__ = ["Chart", "Column", "Label", "Rect", "Row", "Segment", "columns", "horizontal"]
