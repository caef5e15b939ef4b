"""One report page (年度耕地保护报告): the figures of `figures`, drawn by `charts`, laid out by the
template `templates/report.html` into a single self-contained HTML file."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import jinja2
from markupsafe import Markup

from warehouse.report import charts
from warehouse.report.figures import Page, Rows, map_features, page_params, query

TEMPLATES = Path(__file__).with_name("templates")
LEVEL_NAMES = {"city": "设区市", "county": "县（市、区）"}
OUTCOMES = {"failed": "发现问题", "not_evaluated": "未评估（缺少所需数据）", "passed": "通过"}
EMPTY = "本年度无数据（未报送或未评估）"


def _figure(value: float | int | None) -> str:
    """A figure as the page shows it (亩, counts, the index): whole, grouped; "—" when not evaluated."""
    return "—" if value is None else f"{value:,.0f}"


def _meets(value: bool | None) -> Markup | str:
    if value is None:
        return "—"
    return "是" if value else Markup('<span class="miss">否</span>')


def _reported(value: str | None) -> str:
    if value == "yes":
        return "已报送"
    if value == "not reported":
        return "未报送"
    if value and (counted := re.fullmatch(r"(\d+) of (\d+) counties", value)):
        return f"{counted[1]}/{counted[2]} 个县已报送"
    return value or "—"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.filters.update(figure=_figure, meets=_meets)
    return env


def _chart(key: str, title: str, rows: Rows, measure: str, draw: Any, caption: str) -> dict[str, Any]:
    """A chart of `rows`, or the reason there is none: no row has a value of `measure`."""
    return {
        "key": key,
        "title": title,
        "svg": charts.svg(draw(rows)) if any(row[measure] is not None for row in rows) else None,
        "empty": EMPTY,
        "caption": caption,
    }


def _map_caption(p: Page) -> str:
    patches = f"不足 {p.min_patch_mu:g} 亩的" if p.min_patch_mu is not None else ""
    outlines = "各县" if p.admin_level == "city" else "各村"
    return (
        f"灰底为{outlines}界线；绿色为永久基本农田中{patches}零散图斑（{p.year} 年有效的管控图层）；"
        f"红色为 {p.year} 年度问题所涉图斑。坐标为本地区投影坐标，上北下南。"
    )


def render(con: duckdb.DuckDBPyConnection, p: Page, workbook_name: str) -> str:
    """The page of `p` as HTML, read from the snapshot `con` is open on."""
    params = page_params(p)
    units = {p.admin_code, *p.county_codes}
    headline = [
        {**row, "reported": _reported(row["reported"])}
        for row in query(con, "headline", year=p.year)
        if row["admin_code"] in units
    ]
    targets = query(con, "targets", **params)
    axis = p.compares
    page_charts = [
        _chart(
            "cultivated_land",
            "耕地保有量",
            targets,
            "cultivated_mu",
            lambda rows: charts.against_target(
                rows, "cultivated_mu", "cultivated_target_mu", "耕地保有量（亩）", axis
            ),
            "蓝柱为耕地面积，红线为耕地保有量目标。",
        ),
        _chart(
            "permanent_farmland",
            "永久基本农田",
            targets,
            "pbf_mu",
            lambda rows: charts.against_target(rows, "pbf_mu", "pbf_target_mu", "永久基本农田（亩）", axis),
            "蓝柱为当年有效的永久基本农田，红线为保护目标。",
        ),
        _chart(
            "in_out",
            "耕地进出",
            query(con, "in_out", **params),
            "area_mu",
            lambda rows: charts.in_out(rows, axis),
            "进：其他农用地转为耕地；出：耕地转为其他农用地（进出平衡）。",
        ),
        _chart(
            "land_transition",
            "地类转换",
            query(con, "land_transition", **params),
            "area_mu",
            charts.land_transition,
            f"{p.year} 年度变更调查中各一级地类之间转换的面积（行：变更前，列：变更后）。",
        ),
        _chart(
            "quota_balances",
            "补充耕地指标余额",
            query(con, "quota_balances", **params),
            "balance_quantity_mu",
            charts.quota_balances,
            f"各县补充耕地指标（数量）余额的变化，至 {p.year} 年末。",
        ),
    ]
    findings = query(con, "findings_by_rule", **params)
    findings_chart = (
        charts.svg(
            charts.findings_by_rule([{"rule": f"{f['rule_id']} {f['title_zh']}", **f} for f in findings])
        )
        if findings
        else None
    )
    rule_status = [
        {**s, "label": OUTCOMES.get(s["outcome"], s["outcome"])} for s in query(con, "rule_status", **params)
    ]
    features = map_features(con, p)
    return (
        _environment()
        .get_template("report.html")
        .render(
            page=p,
            level_name=LEVEL_NAMES.get(p.admin_level, p.admin_level),
            published_at=p.published_at.strftime("%Y-%m-%d %H:%M") if p.published_at else "—",
            fingerprint=(p.fingerprint or "—")[:12],
            headline=headline,
            charts=page_charts,
            findings=findings,
            findings_chart=findings_chart,
            rule_status=rule_status,
            workbook_name=workbook_name,
            map_svg=charts.svg(charts.findings_map(features)) if features else None,
            map_caption=_map_caption(p),
        )
    )
