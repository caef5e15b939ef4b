"""The report's charts and map, drawn as Vega-Lite specifications and rendered to static SVG.

Rendering happens here, not in the reader's browser: the page carries finished SVG, so it opens with no
script, no network and no tile server, and prints as it shows. Labels are Chinese; the SVG keeps them as
text, drawn by the reader's fonts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import altair as alt

# colours that read apart in print and for the common colour-vision deficiencies
ACTUAL = "#4c78a8"
TARGET = "#d62728"
FLOWS = {"进（流入耕地）": "#59a14f", "出（流出耕地）": "#e15759"}
SEVERITY = {"error": "#d62728", "warn": "#f28e2b"}
MAP_LAYERS = {"行政区界": "#f3f1ea", "永农零散图斑": "#2ca02c", "问题图斑": "#d62728"}
FONT = "Noto Sans CJK SC, WenQuanYi Zen Hei, Microsoft YaHei, PingFang SC, sans-serif"

Rows = list[dict[str, Any]]


def _data(rows: Rows) -> alt.Data:
    """Inline data for a chart, dates as ISO text (what Vega parses)."""
    return alt.Data(
        values=[{k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()} for row in rows]
    )


def svg(chart: alt.TopLevelMixin) -> str:
    """The chart as an SVG document (Vega's own renderer, run in-process by vl-convert)."""
    import vl_convert

    # the specifications are this module's own, validated by the tests; validating each costs more than
    # drawing it
    spec = chart.configure(font=FONT).configure_view(stroke=None).to_dict(validate=False)
    return vl_convert.vegalite_to_svg(spec)


def against_target(rows: Rows, value: str, target: str, title: str, axis: str) -> alt.LayerChart:
    """Bars of a figure with its target drawn across each bar (耕地保有量, 永久基本农田)."""
    data = _data(rows)
    x = alt.X("label:N", sort=None, title=axis, axis=alt.Axis(labelAngle=0))
    bars = (
        alt.Chart(data)
        .mark_bar(color=ACTUAL, width={"band": 0.6})
        .encode(x=x, y=alt.Y(f"{value}:Q", title="亩", axis=alt.Axis(format=",.0f")))
    )
    targets = (
        alt.Chart(data)
        .mark_tick(color=TARGET, thickness=3, width={"band": 0.8})
        .encode(x=x, y=alt.Y(f"{target}:Q"))
    )
    return alt.layer(bars, targets).properties(width=460, height=260, title=title)


def in_out(rows: Rows, axis: str) -> alt.Chart:
    """Cultivated land in and out (进出), side by side per county or year."""
    return (
        alt.Chart(_data(rows))
        .mark_bar()
        .encode(
            x=alt.X("label:N", sort=None, title=axis, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("direction:N"),
            y=alt.Y("area_mu:Q", title="亩", axis=alt.Axis(format=",.0f")),
            color=alt.Color(
                "direction:N",
                title=None,
                scale=alt.Scale(domain=list(FLOWS), range=list(FLOWS.values())),
                legend=alt.Legend(orient="top"),
            ),
        )
        .properties(width=460, height=260, title="耕地进出（亩）")
    )


def land_transition(rows: Rows) -> alt.LayerChart:
    """The year's land transition matrix as a heatmap: from group (rows) to group (columns), 亩."""
    data = _data(rows)
    base = alt.Chart(data).encode(
        x=alt.X("to_group:N", title="变更后地类", axis=alt.Axis(labelAngle=-40, orient="top")),
        y=alt.Y("from_group:N", title="变更前地类"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("area_mu:Q", title="亩", scale=alt.Scale(scheme="yelloworangered", type="sqrt"))
    )
    labels = base.mark_text(fontSize=10).encode(
        text=alt.Text("area_mu:Q", format=",.0f"),
        color=alt.value("#222"),
    )
    return alt.layer(cells, labels).properties(width=520, height=320, title="地类转换（亩）")


def quota_balances(rows: Rows) -> alt.Chart:
    """Each county's supplementary-cultivated-land quota balance (补充耕地指标余额) over time."""
    return (
        alt.Chart(_data(rows))
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=alt.X("event_date:T", title="日期", axis=alt.Axis(format="%Y-%m")),
            y=alt.Y("balance_quantity_mu:Q", title="指标余额（亩）", axis=alt.Axis(format=",.0f")),
            color=alt.Color("county:N", title="县（市、区）"),
        )
        .properties(width=460, height=260, title="补充耕地指标余额（数量，亩）")
    )


def findings_by_rule(rows: Rows) -> alt.Chart:
    """The year's findings counted per rule, coloured by severity."""
    return (
        alt.Chart(_data(rows))
        .mark_bar()
        .encode(
            y=alt.Y("rule:N", sort=None, title=None),
            x=alt.X("findings:Q", title="问题数", axis=alt.Axis(format="d", tickMinStep=1)),
            color=alt.Color(
                "severity:N",
                title="严重程度",
                scale=alt.Scale(domain=list(SEVERITY), range=list(SEVERITY.values())),
            ),
        )
        .properties(width=480, height=alt.Step(18), title="问题数（按规则）")
    )


def findings_map(features: Rows) -> alt.LayerChart:
    """Outlines, small 永农 patches and findings in the region's projected CRS, north up (no basemap)."""
    data = _data(features)
    projection = {"type": "identity", "reflectY": True}
    scale = alt.Scale(domain=list(MAP_LAYERS), range=list(MAP_LAYERS.values()))
    color = alt.Color("properties.layer:N", title=None, scale=scale, legend=alt.Legend(orient="top"))
    outlines = (
        alt.Chart(data)
        .transform_filter("datum.properties.layer == '行政区界'")
        .mark_geoshape(stroke="#555", strokeWidth=0.8)
        .encode(color=color)
    )
    shapes = (
        alt.Chart(data)
        .transform_filter("datum.properties.layer != '行政区界'")
        .mark_geoshape(strokeWidth=1.5, fillOpacity=0.6)
        .encode(color=color, stroke=alt.Stroke("properties.layer:N", scale=scale, legend=None))
    )
    # a parcel is a speck at a county's scale: each shape also gets a dot, so that none goes unseen
    dots = (
        alt.Chart(data)
        .transform_filter("datum.properties.layer != '行政区界'")
        .mark_circle(size=28, opacity=0.9)
        .encode(
            longitude="properties.x:Q",
            latitude="properties.y:Q",
            color=alt.Color("properties.layer:N", scale=scale, legend=None),
        )
    )
    names = (
        alt.Chart(data)
        .transform_filter("datum.properties.label")
        .mark_text(fontSize=12, fontWeight="bold", color="#333")
        .encode(longitude="properties.x:Q", latitude="properties.y:Q", text="properties.label:N")
    )
    return (
        alt.layer(outlines, shapes, dots, names)
        .project(**projection)
        .properties(width=760, height=600, title="问题与永农零散图斑分布")
    )
