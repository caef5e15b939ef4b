"""The quota record files as delivered: 补充耕地项目 (with its boundary layer), 建设用地审批 (with the red
lines), 占补挂钩 and 指标调剂, with the DQ07 duplicates written in and the DQ07, DQ10 and DQ13 rows named
by file line."""

from __future__ import annotations

from sources.demo.records.delivery import GBK, UTF8_BOM, chinese, full_width, iso, mu, slash
from sources.demo.records.model import CsvFile, LayerFile, planted
from sources.demo.records.quota_model import Approval, Quota, Supplement
from sources.records import record_kind

SUPPLEMENTS = record_kind("supplement_projects")
APPROVALS = record_kind("land_approvals")
LINKS = record_kind("quota_links")
TRADES = record_kind("quota_trades")
SUPPLEMENT_BOUNDARIES = "projects/补充耕地项目范围.gpkg"
REDLINES = "projects/用地红线.gpkg"


def _supplement_row(supplement: Supplement) -> list[str]:
    return [
        supplement.code,
        supplement.name,
        supplement.kind,
        supplement.county,
        slash(supplement.started),
        slash(supplement.accepted),
        slash(supplement.stocked),
        mu(supplement.new_mu),
        mu(supplement.paddy_mu),
        str(supplement.capacity_kg),
        str(supplement.grade),
        mu(supplement.provincial_mu),
    ]


def _approval_row(approval: Approval) -> list[str]:
    return [
        approval.number,
        approval.name,
        approval.use,
        approval.county,
        iso(approval.approved),
        approval.level,
        mu(approval.occupied_mu),
        mu(approval.paddy_mu),
        mu(approval.pbf_mu),
        mu(approval.demo_mu),
        str(approval.grade),
        "是" if approval.promise else "否",
        iso(approval.deadline),
        iso(approval.reclaim_by),
        mu(approval.filed_mu) if approval.filed_mu is not None else "",
    ]


def quota_record_files(quota: Quota) -> tuple[list, list[dict]]:
    entries: list[dict] = []
    supplements = sorted(quota.supplements, key=lambda supplement: (supplement.started, supplement.code))
    sup_header = [
        full_width(header) if "(" in header and position % 2 else header
        for position, header in enumerate(SUPPLEMENTS.columns)
    ]
    sup = CsvFile(
        SUPPLEMENTS.table,
        f"projects/{SUPPLEMENTS.title_zh}.csv",
        sup_header,
        [_supplement_row(supplement) for supplement in supplements],
        GBK,
    )
    dup = quota.duplicate_supplement
    sup.rows.append(_supplement_row(dup))
    first = sup.line(supplements.index(dup))
    entries.append(
        planted(
            "DQ07",
            "supplement_project",
            dup.code,
            dup.county,
            dup.stocked.year,
            SUPPLEMENTS.table,
            {
                "source_file": sup.rel,
                "source_row": sup.line(len(sup.rows) - 1),
                "first_row": first,
                "problem": "项目编号 delivered twice; the later row is the duplicate",
            },
        )
    )
    dq10 = quota.planted["DQ10"]
    entries.append(
        planted(
            "DQ10",
            "supplement_project",
            dq10.code,
            dq10.county,
            dq10.accepted.year,
            SUPPLEMENTS.table,
            {
                "source_file": sup.rel,
                "source_row": sup.line(supplements.index(dq10)),
                "立项日期": dq10.started.isoformat(),
                "验收日期": dq10.accepted.isoformat(),
                "problem": "验收日期 before 立项日期",
            },
        )
    )
    boundaries = LayerFile(
        SUPPLEMENT_BOUNDARIES,
        "项目编号",
        [supplement.code for supplement in supplements],
        [supplement.bounds for supplement in supplements],
    )

    approvals = sorted(quota.approvals, key=lambda approval: (approval.approved, approval.number))
    app = CsvFile(
        APPROVALS.table,
        f"projects/{APPROVALS.title_zh}.csv",
        list(APPROVALS.columns),
        [_approval_row(approval) for approval in approvals],
        UTF8_BOM,
    )
    dup_a = quota.duplicate_approval
    app.rows.append(_approval_row(dup_a))
    entries.append(
        planted(
            "DQ07",
            "approval",
            dup_a.number,
            dup_a.county,
            dup_a.approved.year,
            APPROVALS.table,
            {
                "source_file": app.rel,
                "source_row": app.line(len(app.rows) - 1),
                "first_row": app.line(approvals.index(dup_a)),
                "problem": "批准文号 delivered twice; the later row is the duplicate",
            },
        )
    )
    redlines = LayerFile(
        REDLINES,
        "批准文号",
        [approval.number for approval in approvals],
        [approval.bounds for approval in approvals],
    )

    link_rows = [
        [
            link.number,
            link.approval,
            link.project,
            chinese(link.on),
            mu(link.q_mu),
            mu(link.w_mu),
            str(link.c_kg),
        ]
        for link in quota.links
    ]
    links = CsvFile(LINKS.table, f"projects/{LINKS.title_zh}.csv", list(LINKS.columns), link_rows, GBK)
    orphan = quota.orphan_link
    entries.append(
        planted(
            "DQ13",
            "quota_link",
            orphan.number,
            orphan.fallback_county,
            orphan.on.year,
            LINKS.table,
            {
                "source_file": links.rel,
                "source_row": links.line(quota.links.index(orphan)),
                "批准文号": orphan.approval,
                "problem": "挂钩 to an approval that does not exist",
            },
        )
    )
    trade_rows = [
        [
            trade.number,
            trade.seller,
            trade.buyer,
            iso(trade.on),
            mu(trade.q_mu),
            mu(trade.w_mu),
            str(trade.c_kg),
            f"{trade.price:.1f}",
        ]
        for trade in quota.trades
    ]
    trades = CsvFile(
        TRADES.table, f"projects/{TRADES.title_zh}.csv", list(TRADES.columns), trade_rows, UTF8_BOM
    )
    return [sup, boundaries, app, redlines, links, trades], entries
