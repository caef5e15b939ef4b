"""The 补充耕地指标 ledger against an independent recomputation from the raw records."""

from __future__ import annotations

from collections import defaultdict

from tests.test_pipeline import query

ORDER = {"入库": 1, "上划": 2, "调入": 3, "调出": 4, "挂钩": 5}


def _raw_events(warehouse) -> list[tuple[str, object, int, str, float]]:
    """(county, date, order, ref, quantity) straight from raw, the way a 耕地保护 officer would list them,
    leaving out the rows the DQ rules quarantined."""
    kept = "(_source_file, _source_row) not in (select source_file, source_row from raw.rejects)"
    events = []
    for county, pooled, project, new_mu, transfer in query(
        warehouse,
        'select "县级行政区代码", "入库日期", "项目编号", "新增耕地面积(亩)", "上划省统筹数量(亩)" '
        f"from raw.supplement_projects where {kept}",
    ):
        if pooled is None:
            continue
        events.append((county, pooled, ORDER["入库"], project, new_mu or 0.0))
        if transfer:
            events.append((county, pooled, ORDER["上划"], project, -transfer))
    for trade, out_county, in_county, traded_on, mu in query(
        warehouse,
        'select "交易编号", "调出县代码", "调入县代码", "交易日期", "数量指标(亩)" '
        f"from raw.quota_trades where {kept}",
    ):
        events.append((in_county, traded_on, ORDER["调入"], trade, mu))
        events.append((out_county, traded_on, ORDER["调出"], trade, -mu))
    approval_county = dict(
        query(warehouse, f'select "批准文号", "县级行政区代码" from raw.land_approvals where {kept}')
    )
    for link, approval, linked_on, mu in query(
        warehouse,
        f'select "挂钩编号", "批准文号", "挂钩日期", "数量指标(亩)" from raw.quota_links where {kept}',
    ):
        if approval in approval_county:  # a link to no approval is DQ13's case, not a ledger event
            events.append((approval_county[approval], linked_on, ORDER["挂钩"], link, -mu))
    return events


def test_running_balances_equal_a_recomputation_from_raw_events(demo_build):
    assert query(demo_build.warehouse, "select count(*) from raw.supplement_projects")[0][0] > 0
    balances: dict[str, float] = defaultdict(float)
    expected = {}
    for county, day, _order, _ref, mu in sorted(_raw_events(demo_build.warehouse), key=lambda e: e[:4]):
        balances[county] += mu
        expected[(county, day)] = balances[county]  # the last event of the day holds the day's balance
    ledger = query(
        demo_build.warehouse,
        """select county_code, event_date, balance_quantity_mu from marts.quota_ledger
           qualify row_number() over (partition by county_code, event_date
                                      order by event_order desc, ref_id desc) = 1""",
    )
    found = {(county, day): balance for county, day, balance in ledger}
    assert set(found) == set(expected)
    assert all(abs(found[k] - expected[k]) < 1e-6 for k in expected)


def test_the_provincial_share_balances_to_the_accepted_quantity(demo_build):
    rows = query(
        demo_build.warehouse,
        """select p.project_no, p.new_cultivated_mu, p.provincial_transfer_mu, -l.quantity_mu
           from staging.stg_records__supplement_projects p
           join marts.quota_ledger l on l.ref_id = p.project_no and l.event_type = '上划'""",
    )
    assert rows
    for project, accepted, transfer, handed in rows:
        assert abs(float(handed) - float(transfer)) < 1e-9, project
        # what stays in the county pool plus what went to the province is what was accepted
        kept = query(
            demo_build.warehouse,
            "select sum(quantity_mu) from marts.quota_ledger "
            "where ref_id = ? and event_type in ('入库', '上划')",
            [project],
        )[0][0]
        assert abs(kept + float(handed) - float(accepted)) < 1e-9, project
