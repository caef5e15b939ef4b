"""The 占补平衡 (farmland occupation–compensation balance) records in memory: supplement projects
(补充耕地项目), land-use approvals (建设用地审批, 临时用地, 设施农业用地), quota links (占补挂钩) and trades
(指标调剂), and the book of quota lots that links and trades draw from."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from sources.demo.records.params import capacity_per_mu
from sources.demo.records.survey import Piece
from sources.demo.region import county_by_code

UNIT = 10_000  # quota quantities are kept in 1/10 000 亩 (4 decimals, as delivered)
NATIONAL, PROVINCE, COUNTY = "国务院", "省", "县"


def to_units(mu: float) -> int:
    return int(round(mu * UNIT))


def short_name(county: str) -> str:
    """南湖区 → 南湖, 海宁市 → 海宁."""
    return county_by_code(county).name[:-1]


@dataclass
class Supplement:
    code: str
    name: str
    kind: str  # 垦造耕地 / 旱地改水田 / 建设用地复垦 / 高标准农田新增耕地
    county: str
    started: date  # 立项日期
    accepted: date  # 验收日期
    stocked: date  # 入库日期
    new_u: int
    paddy_u: int
    capacity_kg: int
    grade: int
    provincial_u: int  # 上划省统筹数量
    bounds: tuple[float, float, float, float]
    origin: str  # pool (accepted before the change surveys) | survey (a piece of DLTBGXGC)
    piece: Piece | None = None
    linkable: bool = True  # False for the quarantined (DQ10) project

    @property
    def new_mu(self) -> float:
        return self.new_u / UNIT

    @property
    def paddy_mu(self) -> float:
        return self.paddy_u / UNIT

    @property
    def provincial_mu(self) -> float:
        return self.provincial_u / UNIT

    def stock(self) -> np.ndarray:
        """What the project adds to its county's quota (数量, 水田 in units; 产能 kg), taking 上划 from
        水田 and 产能 in proportion too (the stricter reading of the ledger)."""
        share = self.provincial_u / self.new_u if self.new_u else 0.0
        return np.array(
            [
                self.new_u - self.provincial_u,
                math.floor(self.paddy_u * (1 - share)),
                math.floor(self.capacity_kg * (1 - share)),
            ],
            dtype=np.int64,
        )


@dataclass
class Approval:
    number: str
    name: str
    use: str  # 建设用地 / 临时用地 / 设施农业用地
    county: str
    approved: date
    level: str
    occupied_u: int
    paddy_u: int
    grade: int
    bounds: tuple[float, float, float, float]
    piece: Piece | None = None
    pbf_u: int = 0
    demo_u: int = 0
    promise: bool = False
    deadline: date | None = None  # 承诺兑现期限
    reclaim_by: date | None = None  # 复垦期限 (临时用地)
    filed_mu: float | None = None  # 备案面积 (设施农业用地)
    role: str = "clean"
    link_on: date | None = None

    @property
    def occupied_mu(self) -> float:
        return self.occupied_u / UNIT

    @property
    def paddy_mu(self) -> float:
        return self.paddy_u / UNIT

    @property
    def pbf_mu(self) -> float:
        return self.pbf_u / UNIT

    @property
    def demo_mu(self) -> float:
        return self.demo_u / UNIT

    @property
    def capacity_need_kg(self) -> float:
        """Occupied grain capacity: occupied 耕地 × capacity of the occupied grade (PR05)."""
        return self.occupied_mu * capacity_per_mu(self.grade)

    def need(self) -> np.ndarray:
        """Quota that balances the approval, a hair above each requirement (never equal to it)."""
        return np.array(
            [
                self.occupied_u + 1,
                self.paddy_u + 1 if self.paddy_u else 0,
                math.floor(self.capacity_need_kg) + 1,
            ],
            dtype=np.int64,
        )


class _QuotaInMu:
    """数量 and 水田 quota held in whole units (1/UNIT 亩, so sums are exact), read back in 亩."""

    q_u: int
    w_u: int

    @property
    def q_mu(self) -> float:
        return self.q_u / UNIT

    @property
    def w_mu(self) -> float:
        return self.w_u / UNIT


@dataclass
class Link(_QuotaInMu):
    number: str
    approval: str
    project: str
    on: date
    q_u: int
    w_u: int
    c_kg: int
    fallback_county: str = ""  # the project's county, for a link whose approval does not exist (DQ13)


@dataclass
class Trade(_QuotaInMu):
    number: str
    seller: str
    buyer: str
    on: date
    q_u: int
    w_u: int
    c_kg: int
    price: float  # 万元/亩


@dataclass
class Quota:
    supplements: list[Supplement]
    approvals: list[Approval]
    links: list[Link]
    trades: list[Trade]
    duplicate_supplement: Supplement | None = None  # DQ07: delivered twice
    duplicate_approval: Approval | None = None
    planted: dict[str, object] = field(default_factory=dict)  # role → object, for the manifest
    no_sell: set[str] = field(default_factory=set)
    pr15_county: str = ""
    pr15_trade: Trade | None = None
    orphan_link: Link | None = None  # DQ13
    pr07_fee: Callable[[dict], int] | None = None  # the underpaid fee, given the standards (PR07)
    dq13_maintenance_row: Callable | None = None  # adds DQ13's 管护 row (quota_plants.py)


@dataclass
class Holding:
    """One county's quota lots, in the order they are drawn: by the day they become usable (events
    dated after it may draw on them), then project; lots alike in both in the order added."""

    keys: list[tuple[date, str]] = field(default_factory=list)  # (available, project) of each lot
    amounts: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.int64))  # 数量, 水田, 产能

    def usable(self, before: date) -> int:
        """How many lots (from the first) are usable by an event dated `before`: those whose key is below
        (before,), which is to say available before it."""
        return bisect.bisect_left(self.keys, (before,))


class Book:
    """Quota lots by owning county; links and trades draw from them first-in first-out, each dimension
    independently. A lot drawn empty is dropped (it could give nothing more). Links, trades and lots all
    grow with the scale, so a county's lots are one array that a draw reads at once rather than lot by
    lot."""

    def __init__(self) -> None:
        self.holdings: dict[str, Holding] = {}

    def add(self, owner: str, project: str, available: date, amount: np.ndarray) -> None:
        holding = self.holdings.setdefault(owner, Holding())
        position = bisect.bisect_right(holding.keys, (available, project))
        holding.keys.insert(position, (available, project))
        holding.amounts = np.insert(holding.amounts, position, amount.astype(np.int64), axis=0)

    def available(self, county: str, before: date) -> np.ndarray:
        holding = self.holdings.get(county, Holding())
        return holding.amounts[: holding.usable(before)].sum(axis=0, dtype=np.int64)

    def take(
        self, county: str, before: date, need: np.ndarray, only: str | None = None
    ) -> dict[str, np.ndarray]:
        """Draw `need` (each dimension independently) from the county's lots; project → amount taken."""
        holding = self.holdings.get(county, Holding())
        lots = np.arange(holding.usable(before))
        if only is not None:
            lots = np.array([lot for lot in lots if holding.keys[lot][1] == only], dtype=np.int64)
        amounts = holding.amounts[lots]
        # Each lot gives what is still wanted once the lots before it have given theirs.
        before_it = np.cumsum(amounts, axis=0) - amounts
        parts = np.clip(need.astype(np.int64) - before_it, 0, amounts)
        holding.amounts[lots] -= parts
        gave = parts.any(axis=1)
        taken: dict[str, np.ndarray] = {}
        for lot, part in zip(lots[gave].tolist(), parts[gave], strict=True):
            project = holding.keys[lot][1]
            taken[project] = taken.get(project, np.zeros(3, dtype=np.int64)) + part
        emptied = lots[gave & ~holding.amounts[lots].any(axis=1)]
        for lot in emptied[::-1].tolist():
            del holding.keys[lot]
        holding.amounts = np.delete(holding.amounts, emptied, axis=0)
        rest = need.astype(np.int64) - parts.sum(axis=0, dtype=np.int64)
        if only is None and rest.any():
            raise RuntimeError(f"quota book: {county} cannot supply {rest.tolist()} before {before}")
        return taken

    def transfer(self, seller: str, buyer: str, on: date, amount: np.ndarray) -> None:
        for project, part in self.take(seller, on, amount).items():
            self.add(buyer, project, on, part)
