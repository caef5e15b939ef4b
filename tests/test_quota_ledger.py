"""The 补充耕地指标 ledger against an independent recomputation from the raw records."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from tests.test_pipeline import query

ORDER = {"入库": 1, "上划": 2, "调入": 3, "调出": 4, "挂钩": 5}
KEPT = "(_source_file, _source_row) not in (select source_file, source_row from raw.rejects)"


def _raw_events(warehouse) -> list[tuple[str, object, int, str, np.ndarray]]:
    """(county, date, order, ref, [数量 亩, 水田 亩, 产能 公斤]) straight from raw, the way a 耕地保护
    officer would list them, leaving out the rows the DQ rules quarantined."""
    events = []
    for county, pooled, project, new_mu, paddy, capacity, transfer in query(
        warehouse,
        'select "县级行政区代码", "入库日期", "项目编号", "新增耕地面积(亩)", "新增水田面积(亩)", '
        f'"新增粮食产能(公斤)", "上划省统筹数量(亩)" from raw.supplement_projects where {KEPT}',
    ):
        if pooled is None:
            continue
        accepted = np.array([new_mu or 0.0, paddy or 0.0, capacity or 0.0])
        events.append((county, pooled, ORDER["入库"], project, accepted))
        if transfer:
            # the province takes its share of each indicator in proportion to the quantity handed up
            events.append((county, pooled, ORDER["上划"], project, -accepted * transfer / new_mu))
    for trade, out_county, in_county, traded_on, mu, paddy, capacity in query(
        warehouse,
        'select "交易编号", "调出县代码", "调入县代码", "交易日期", "数量指标(亩)", "水田指标(亩)", '
        f'"产能指标(公斤)" from raw.quota_trades where {KEPT}',
    ):
        amount = np.array([mu, paddy, capacity], dtype=float)
        events.append((in_county, traded_on, ORDER["调入"], trade, amount))
        events.append((out_county, traded_on, ORDER["调出"], trade, -amount))
    approval_county = dict(
        query(warehouse, f'select "批准文号", "县级行政区代码" from raw.land_approvals where {KEPT}')
    )
    for link, approval, linked_on, mu, paddy, capacity in query(
        warehouse,
        'select "挂钩编号", "批准文号", "挂钩日期", "数量指标(亩)", "水田指标(亩)", "产能指标(公斤)" '
        f"from raw.quota_links where {KEPT}",
    ):
        if approval in approval_county:  # a link to no approval is DQ13's case, not a ledger event
            amount = np.array([mu, paddy, capacity], dtype=float)
            events.append((approval_county[approval], linked_on, ORDER["挂钩"], link, -amount))
    return events


def test_running_balances_equal_a_recomputation_from_raw_events(demo_build):
    assert query(demo_build.warehouse, "select count(*) from raw.supplement_projects")[0][0] > 0
    balances: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(3))
    expected = {}
    for county, day, _order, _ref, amount in sorted(_raw_events(demo_build.warehouse), key=lambda e: e[:4]):
        balances[county] = balances[county] + amount
        expected[(county, day)] = balances[county]  # the last event of the day holds the day's balance
    ledger = query(
        demo_build.warehouse,
        """select county_code, event_date, balance_quantity_mu, balance_paddy_mu, balance_capacity_kg
           from marts.quota_ledger
           qualify row_number() over (partition by county_code, event_date
                                      order by event_order desc, ref_id desc) = 1""",
    )
    found = {(county, day): np.array(balances) for county, day, *balances in ledger}
    assert set(found) == set(expected)
    # to 0.01 亩 / 公斤: the ledger holds its shares as decimals (0.0001 亩, 0.01 公斤) rounded per event
    off = {k: (found[k], expected[k]) for k in expected if not np.allclose(found[k], expected[k], atol=1e-2)}
    assert not off


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
