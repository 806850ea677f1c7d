"""Charts for the report, as PNG bytes (embedded in the Word document).

Matplotlib's object API (Figure + the Agg canvas) rather than pyplot: no global figure
state, no GUI backend, so it runs the same in the CLI, in tests and off the bot's event
loop. The font is DejaVu Sans, which ships inside matplotlib and has every Vietnamese
glyph, so the charts do not depend on fonts installed on the machine.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from reports.data import ReportData

FONT_FAMILY = "DejaVu Sans"
# Sized for a 16 cm wide text column at 150 dpi: readable when printed on A4.
FIGURE_SIZE = (8.0, 4.2)
DPI = 150
# One colour per ticket kind, in KIND_ORDER; distinguishable in grey-scale printing too.
KIND_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#d62728", "#7f7f7f")


@contextmanager
def _style() -> Iterator[None]:
    with matplotlib.rc_context(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [FONT_FAMILY],
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    ):
        yield


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def monthly_by_kind_chart(data: ReportData) -> bytes:
    """Stacked bars: tickets received each month, one colour per kind."""
    with _style():
        figure = Figure(figsize=FIGURE_SIZE)
        axes = figure.add_subplot()
        months = [month.label for month in data.by_month]
        bottoms = [0] * len(months)
        for index, label in enumerate(data.kind_labels):
            values = [month.by_kind[index] for month in data.by_month]
            if not any(values):
                continue
            axes.bar(months, values, bottom=bottoms, label=label, color=KIND_COLOURS[index])
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        axes.set_title("Số ý kiến tiếp nhận theo tháng và loại ý kiến")
        axes.set_ylabel("Số ý kiến")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        if any(bottoms):
            axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return _png(figure)


def office_chart(data: ReportData) -> bytes:
    """Grouped bars per office: received, handled, overdue."""
    with _style():
        figure = Figure(figsize=FIGURE_SIZE)
        axes = figure.add_subplot()
        codes = [office.code for office in data.by_office]
        positions = list(range(len(codes)))
        width = 0.27
        series = (
            ("Tiếp nhận", [o.outcomes.received for o in data.by_office], "#1f77b4"),
            ("Đã giải quyết", [o.outcomes.handled for o in data.by_office], "#2ca02c"),
            ("Quá hạn", [o.outcomes.overdue for o in data.by_office], "#d62728"),
        )
        for shift, (label, values, colour) in zip((-width, 0.0, width), series, strict=True):
            axes.bar([p + shift for p in positions], values, width, label=label, color=colour)
        axes.set_xticks(positions, codes)
        axes.set_title("Kết quả tiếp nhận, xử lý theo đơn vị")
        axes.set_ylabel("Số ý kiến")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(fontsize=8, frameon=False)
        return _png(figure)


def on_time_chart(data: ReportData) -> bytes:
    """Horizontal bars: share of handled tickets handled on time, per office."""
    with _style():
        figure = Figure(figsize=FIGURE_SIZE)
        axes = figure.add_subplot()
        rows = [(o.code, o.outcomes.on_time_rate) for o in data.by_office]
        labels = [code for code, _ in rows]
        values = [(rate or 0.0) * 100 for _, rate in rows]
        bars = axes.barh(labels, values, color="#2ca02c")
        for bar, (_, rate) in zip(bars, rows, strict=True):
            text = "chưa có ý kiến được giải quyết" if rate is None else f"{rate * 100:.0f}%"
            axes.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2, text, va="center")
        axes.set_xlim(0, 115)
        axes.invert_yaxis()
        axes.set_xlabel("Tỷ lệ giải quyết đúng hạn (%)")
        axes.set_title("Tỷ lệ giải quyết đúng hạn theo đơn vị")
        return _png(figure)


def report_charts(data: ReportData) -> dict[str, bytes]:
    """Every chart the report embeds, by name; none for a period without tickets."""
    if data.is_empty:
        return {}
    charts = {"theo-thang": monthly_by_kind_chart(data)}
    charts["theo-don-vi"] = office_chart(data)
    charts["dung-han"] = on_time_chart(data)
    return charts


def render_text_sample(text: str) -> bytes:
    """A figure holding just `text`: lets a test prove the font has its glyphs."""
    with _style():
        figure = Figure(figsize=(6, 1))
        figure.text(0.02, 0.5, text, fontsize=14, va="center")
        return _png(figure)


__all__ = [
    "FONT_FAMILY",
    "monthly_by_kind_chart",
    "office_chart",
    "on_time_chart",
    "render_text_sample",
    "report_charts",
]
