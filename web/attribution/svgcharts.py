"""Charts as inline SVG, computed in Python, for the PDF reports.

WeasyPrint runs no JavaScript, so the Vega-Lite charts of the pages cannot be drawn in a
PDF; these draw the same figures as plain SVG (text stays text: a PDF reader can search
it). Every label is escaped; sizes are in CSS pixels.

    svg = bar_chart([("Rimouski", 0.857), ("La Mitis", 0.91)], maximum=1.0,
                    reference=0.85, reference_label="Objectif 85 %", percent=True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from django.utils.formats import number_format

__all__ = ["bar_chart", "stacked_bar_chart"]

COLOURS = ("#0b5a8c", "#3d8fc4", "#7fb7dc", "#f2b134", "#d9662b", "#a13d2d", "#5b6570")
_FONT = 'font-family="DejaVu Sans, sans-serif"'


def _percent(value: float) -> str:
    """87,3 % in French: the pages' format (``panelcare_format.pct``)."""
    return f"{number_format(value * 100, decimal_pos=1)} %"


def _number(value: float) -> str:
    """A count or a figure with the reader's separators, as the pages' tables show it
    (``12 500`` and ``2,5`` in French)."""
    if float(value).is_integer():
        return number_format(int(value), force_grouping=True)
    return number_format(value, decimal_pos=1, force_grouping=True)


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def bar_chart(
    rows: Sequence[tuple[str, float | None]],
    *,
    title: str = "",
    maximum: float | None = None,
    reference: float | None = None,
    reference_label: str = "",
    percent: bool = False,
    above_is_good: bool = True,
    width: int = 640,
    bar_height: int = 18,
    label_width: int = 170,
) -> str:
    """Horizontal bars, one per (label, value) row (None draws no bar), with an optional
    dashed reference line (a goal, a cap). With a reference, bars on its good side are
    green and the others orange (``above_is_good`` says which side is good)."""
    fmt: Callable[[float], str] = _percent if percent else _number
    values = [value for _label, value in rows if value is not None]
    top = max([maximum or 0.0, reference or 0.0, *values, 1e-9])
    plot = width - label_width - 60
    gap = 6
    height = len(rows) * (bar_height + gap) + 34
    body: list[str] = []
    for index, (label, value) in enumerate(rows):
        y = 8 + index * (bar_height + gap)
        body.append(
            f'<text x="{label_width - 6}" y="{y + bar_height * 0.72:.1f}" text-anchor="end" '
            f'font-size="10" {_FONT} fill="#1d2733">{escape(_short(label, 28))}</text>'
        )
        if value is None:
            continue
        length = max(0.0, value / top * plot)
        colour = COLOURS[0]
        if reference is not None:
            good = value > reference if above_is_good else value <= reference
            colour = "#1b7a3a" if good else "#c0641f"
        body.append(
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
            f'fill="{colour}"/>'
        )
        body.append(
            f'<text x="{label_width + length + 4:.1f}" y="{y + bar_height * 0.72:.1f}" '
            f'font-size="9" {_FONT} fill="#1d2733">{escape(fmt(value))}</text>'
        )
    axis_y = 8 + len(rows) * (bar_height + gap)
    body.append(
        f'<line x1="{label_width}" y1="4" x2="{label_width}" y2="{axis_y}" stroke="#5b6570"/>'
    )
    if reference is not None:
        x = label_width + reference / top * plot
        body.append(
            f'<line x1="{x:.1f}" y1="2" x2="{x:.1f}" y2="{axis_y}" stroke="#1d2733" '
            f'stroke-dasharray="4 3"/>'
        )
        body.append(
            f'<text x="{x:.1f}" y="{axis_y + 14}" text-anchor="middle" font-size="9" {_FONT} '
            f'fill="#1d2733">{escape(reference_label or fmt(reference))}</text>'
        )
    return _svg(width, height, body, title)


def stacked_bar_chart(
    rows: Sequence[tuple[str, Sequence[int]]],
    series: Sequence[str],
    *,
    title: str = "",
    width: int = 640,
    bar_height: int = 20,
    label_width: int = 170,
) -> str:
    """Horizontal stacked bars: one per (label, counts) row, one segment per series, with
    a legend below."""
    totals = [sum(counts) for _label, counts in rows]
    top = max([*totals, 1])
    plot = width - label_width - 50
    gap = 8
    legend_y = 10 + len(rows) * (bar_height + gap) + 6
    legend = _legend_positions(series, label_width, width)
    height = legend_y + (max((line for _x, line in legend), default=0) + 1) * 16 + 6
    body: list[str] = []
    for index, (label, counts) in enumerate(rows):
        y = 8 + index * (bar_height + gap)
        body.append(
            f'<text x="{label_width - 6}" y="{y + bar_height * 0.72:.1f}" text-anchor="end" '
            f'font-size="10" {_FONT} fill="#1d2733">{escape(_short(label, 28))}</text>'
        )
        x = float(label_width)
        for number, count in enumerate(counts):
            if count <= 0:
                continue
            length = count / top * plot
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="{bar_height}" '
                f'fill="{COLOURS[number % len(COLOURS)]}" stroke="#ffffff" stroke-width="0.5"/>'
            )
            if length >= 14:
                body.append(
                    f'<text x="{x + length / 2:.1f}" y="{y + bar_height * 0.7:.1f}" '
                    f'text-anchor="middle" font-size="9" {_FONT} fill="#ffffff">{_number(count)}</text>'
                )
            x += length
        body.append(
            f'<text x="{x + 4:.1f}" y="{y + bar_height * 0.72:.1f}" font-size="9" {_FONT} '
            f'fill="#1d2733">{_number(totals[index])}</text>'
        )
    for number, (name, (x, line)) in enumerate(zip(series, legend, strict=True)):
        y = legend_y + line * 16
        body.append(
            f'<rect x="{x:.1f}" y="{y}" width="10" height="10" '
            f'fill="{COLOURS[number % len(COLOURS)]}"/>'
        )
        body.append(
            f'<text x="{x + 14:.1f}" y="{y + 9}" font-size="9" {_FONT} fill="#1d2733">'
            f"{escape(name)}</text>"
        )
    return _svg(width, height, body, title)


def _legend_positions(series: Sequence[str], left: int, width: int) -> list[tuple[float, int]]:
    """Each legend key's x and line: keys flow left to right, wrapping at ``width`` (text
    width estimated at 5.6 px a character at 9 px, DejaVu Sans's average)."""
    positions = []
    x, line = float(left), 0
    for name in series:
        size = 14 + len(name) * 5.6 + 16
        if x + size > width and x > left:
            x, line = float(left), line + 1
        positions.append((x, line))
        x += size
    return positions


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
