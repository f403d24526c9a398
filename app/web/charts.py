"""Server-rendered SVG charts: geometry computed here, drawn by ``templates/review/_charts.html``.
No script, no inline style (the CSP holds); colours from the Okabe–Ito palette, which
stays distinguishable with the common colour-vision deficiencies, and every bar carries
its label and value as text, so colour never carries meaning alone."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000", "#F0E442")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    label: str
    display: str
    fill: str
    href: str | None = None


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, str]]
    kind: str


def _scale(values: list[Decimal | int]) -> Decimal:
    top = max((Decimal(v) for v in values), default=Decimal(0))
    return top if top > 0 else Decimal(1)


def hbars(rows: list[tuple[str, Decimal | int, str, str | None]], *, width: int = 560, label_width: int = 170,
          bar_height: int = 22, gap: int = 8) -> Chart:
    """Horizontal bars, one per (label, value, shown value, link)."""
    top = _scale([v for _, v, _, _ in rows])
    room = width - label_width - 90
    bars = []
    for i, (label, value, display, href) in enumerate(rows):
        w = float(Decimal(value) / top * room)
        bars.append(Bar(label_width, i * (bar_height + gap), max(w, 1.0), bar_height, label, display,
                        PALETTE[i % len(PALETTE)], href))
    return Chart(width, max(len(rows), 1) * (bar_height + gap), bars, [], "h")


def columns(rows: list[tuple[str, Decimal | int, str, str | None]], *, width: int = 640, height: int = 180,
            fill: str = PALETTE[0]) -> Chart:
    """Vertical bars for a daily series; the axis names the first, middle and last day."""
    top = _scale([v for _, v, _, _ in rows])
    plot_h = height - 24
    n = max(len(rows), 1)
    step = (width - 8) / n
    bars = []
    for i, (label, value, display, href) in enumerate(rows):
        h = float(Decimal(value) / top * plot_h)
        bars.append(Bar(4 + i * step, plot_h - h, max(step * 0.8, 1.0), h, label, display, fill, href))
    picks = sorted({0, n // 2, n - 1}) if rows else []
    ticks = [(4 + i * step + step * 0.4, rows[i][0]) for i in picks]
    return Chart(width, height, bars, ticks, "v")
