"""SVG charts for the board report, drawn with pygal, identical byte for byte for the same data.

pygal gives each chart a random uuid (used in the id and every CSS selector), stamps a generation date in a
comment, and links its tooltip script from the internet; all three are removed here. The SVG is shown as an
``<img>`` data URI, which the web app's CSP allows (``img-src 'self' data:``) while it forbids the inline
``<style>`` pygal writes, and which WeasyPrint draws the same way. Every chart has a text alternative, and the
templates show the same numbers in a table beside it.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from auditapp.tools import GRADE_OPTIONS

if TYPE_CHECKING:  # pygal is imported when a chart is drawn, not with the pages that never draw one
    import pygal
    from pygal.style import Style

FONT = "Liberation Sans, DejaVu Sans, Arial, Helvetica, sans-serif"
# GOV.UK colours: dark blue, then a colour per grade that still reads when printed in greyscale.
GRADE_COLOURS = ("#00703c", "#1d70b8", "#f47738", "#d4351c")
EARLIER_ROUNDS = ("#dcdddd", "#c3c5c6", "#b1b4b6", "#8e9193", "#6f777b")  # oldest lightest
THIS_ROUND = "#1d70b8"
_STRIP = re.compile(r"<!--.*?-->|<script[^>]*>.*?</script>", re.DOTALL)


@dataclass(frozen=True)
class Chart:
    """A chart ready to embed: the SVG text, its data URI and its text alternative."""

    svg: str
    alt: str

    @property
    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode("ascii")


def _style(colours: tuple[str, ...]) -> Style:
    from pygal.style import Style

    return Style(
        font_family=FONT,
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#0b0c0c",
        foreground_strong="#0b0c0c",
        foreground_subtle="#505a5f",
        colors=colours,
        label_font_size=13,
        major_label_font_size=13,
        value_font_size=13,
        value_label_font_size=13,
        legend_font_size=13,
        title_font_size=16,
        opacity="1",
        opacity_hover="1",
        guide_stroke_color="#b1b4b6",
        major_guide_stroke_color="#b1b4b6",
        guide_stroke_dasharray="0",
        major_guide_stroke_dasharray="0",
        value_colors=("#0b0c0c",) * len(colours),
    )


def _finish(chart: pygal.graph.graph.Graph, chart_id: str, alt: str) -> Chart:
    """Render with a fixed id, no script and no dated comment, and explicit fonts on the root element."""
    chart.uuid = chart_id  # pygal's random per-chart id, used in the root id and every CSS selector
    svg = chart.render(is_unicode=True)
    svg = _STRIP.sub("", svg)  # the dated comment, and the config script nothing runs
    # <text> in an SVG image ignores the page's CSS: give the whole drawing the font as an attribute too.
    svg = svg.replace("<svg ", f'<svg font-family="{FONT}" role="img" aria-label="{_attr(alt)}" ', 1)
    return Chart(svg=svg, alt=alt)


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _config(title: str) -> dict:
    return {
        "title": title,
        "js": [],
        "disable_xml_declaration": True,
        "show_legend": False,
        "width": 640,
        "height": 320,
        "print_values": True,
        "print_zeroes": True,
        "explicit_size": True,
        "margin": 16,
        "spacing": 12,
        "truncate_label": -1,
        "truncate_legend": -1,
    }


def grade_chart(
    counts: dict[str, int],
    *,
    title: str,
    chart_id: str,
    y_max: int | None = None,
    options: tuple[tuple[str, str], ...] = GRADE_OPTIONS,
) -> Chart:
    """A bar chart of how many audits had each grade (best first, at the top), named as the tool names them
    (``options``: its grade scale's value and label pairs); give charts to compare the same ``y_max``."""
    labels = [label for _, label in options]
    values = [counts.get(value, 0) for value, _ in options]
    # Horizontal, so that "Requires improvement" has room; pygal draws the first label at the bottom, hence [::-1].
    config = {**_config(title), "width": 420, "height": 260, "print_values": False}  # the table has the numbers
    import pygal

    chart = pygal.HorizontalBar(
        style=_style(GRADE_COLOURS),
        **config,
        min_scale=2,
        max_scale=6,
        x_title="Audits",
        range=(0, y_max or max([*values, 1])),
    )
    chart.x_labels = labels[::-1]
    chart.add("Audits", [{"value": v, "color": GRADE_COLOURS[i]} for i, v in enumerate(values)][::-1])
    total = sum(values)
    parts = "; ".join(f"{label} {value}" for label, value in zip(labels, values, strict=True))
    alt = f"{title}: bar chart of {total} audits. {parts}." if total else f"{title}: no grades yet."
    return _finish(chart, chart_id, alt)


def trend_chart(rounds: list[str], rows: list[tuple[str, list[float | None]]], *, title: str, chart_id: str) -> Chart:
    """Grouped horizontal bars: per question (Q1, Q2, ... as numbered in the table beside it), the percentage
    meeting the standard in each round, earlier rounds in greys and this round (the last) in blue."""
    colours = (*EARLIER_ROUNDS[-(len(rounds) - 1) :], THIS_ROUND) if len(rounds) > 1 else (THIS_ROUND,)
    height = 90 + len(rows) * (10 * len(rounds) + 14)
    import pygal

    chart = pygal.HorizontalBar(
        style=_style(colours),
        **{**_config(title), "show_legend": True, "height": height, "print_values": False},
        range=(0, 100),
        legend_at_bottom=True,
        legend_at_bottom_columns=min(3, len(rounds)),
        x_title="% meeting the standard",
    )
    chart.x_labels = [f"Q{number}" for number in range(len(rows), 0, -1)]  # Q1 at the top
    for index, name in enumerate(rounds):
        chart.add(name, [values[index] for _text, values in rows[::-1]])
    alt = (
        f"{title}: bar chart of the percentage meeting the standard for {len(rows)} questions in {len(rounds)} rounds "
        f"({', '.join(rounds)}). The table that follows gives every value."
    )
    return _finish(chart, chart_id, alt)
