"""占补平衡: supplement projects, land-use approvals with their red lines, quota links and trades.

Consistent with the survey:
- every 耕地 → construction piece of DLTBGXGC gets a 建设用地 approval, approved on or before the piece's
  GXSJ, whose red line (用地红线) is the piece grown by 1 m (clipped to its county); 占用耕地面积 is the
  piece's BGQTBDLMJ in 亩, 其中水田 the same when it was 0101, 占用耕地平均等别 its BGQGDDB — but for
  the three PR10 pieces (ground.py: approved too late, half covered, no approval at all);
- every other-land → 耕地 piece is a supplement project accepted (验收) in that survey year whose boundary
  is the piece, 新增耕地面积 = BGHTBDLMJ × 0.0015 (but for the PR17 plant and its near miss, ground.py);
  every 旱地 → 水田 piece a 旱地改水田 project (新增水田, no 新增耕地);
- older projects (accepted 2019–2021, before the change surveys) lie on base 耕地 parcels nothing touches:
  the quota pool counties drew on from the start;
- 耕地 → 1202 pieces are 设施农业用地 filings (备案面积 = the piece; PR25 plants one under-filed), and up
  to two 临时用地 approvals sit on untouched 耕地 away from 永农 (one restored past its deadline, one
  still running) beside the PR24 plant, whose red line lies on land that is not 耕地.

Clean by default: approvals are linked before they are approved (先补后占) to supplements already 入库
with at least the occupied 数量 / 水田 / 产能 (capacity of the occupied grade from ref_grain_capacity), a
county short of quota buys it (指标调剂) from a county with a surplus, no county's running balance goes
below zero, 垦造耕地 projects hand 20% (catalog parameter) to the province. Figures compared by a rule
are kept clear of equality by a hair (0.0001 亩, 1 kg) so that floating-point sums cannot flip them.

Planted (each breaks one rule): PR03, PR04, PR05 (one approval each, in one county that then never sells
quota); PR06 three ways in a second county (a late supplement on a non-承诺制 approval — violation; a
承诺制 approval linked after its 承诺兑现期限 — violation; a 承诺制 approval linked to a late supplement
before its deadline — clean, the 001 §三(十) exception); PR14 (上划 of half the share); PR15 (a county
sells more than it holds one day before its last project is 入库); PR23 (永农 at 省 level); DQ07 (a
repeated 项目编号 and 批准文号), DQ10 (验收 before 立项), DQ13 (a link to a missing approval); PR10, PR17,
PR24 and PR25 with ground.py (one approval never delivered, a 新增耕地面积 overstated with its 入库 and
上划 following it, a temporary approval, a 备案面积). PR07's fee is planted in fees.py on an approval
chosen here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from sources.demo.geodesy import rectangle_area_cents
from sources.demo.records import ground
from sources.demo.records.model import clamp, days, random_day
from sources.demo.records.params import capacity_per_mu, parameters
from sources.demo.records.survey import Parcel, Piece, Survey, cents_to_mu
from sources.demo.region import county_by_code, villages

UNIT = 10_000  # quota quantities are kept in 1/10 000 亩 (4 decimals, as delivered)
MARGIN_U, MARGIN_KG = 100, 10  # what every county keeps back: 0.01 亩 and 10 kg
FIRST_APPROVAL = date(2022, 3, 1)
LAST_STOCKING = date(2025, 12, 20)
PR15_DAY = date(2025, 12, 29)  # the planted overdraft; the county's last project is 入库 the next day
PR15_RESTOCK = date(2025, 12, 30)
REDLINE_MARGIN = 1.0  # metres a red line extends beyond the ground it converts
POOL_SHARE_OF_PARCEL = 0.7
POOL_FACTOR_SELLER, POOL_FACTOR_BUYER = 1.5, 0.6  # own pool as a share of a county's own occupation
VOLUNTARY_TRADES = (
    date(2022, 11, 15),
    date(2023, 6, 20),
    date(2024, 3, 12),
    date(2024, 11, 6),
    date(2025, 5, 19),
)
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
class Lot:
    owner: str
    project: str
    available: date  # usable by events dated after this day
    amount: np.ndarray  # 数量, 水田 (units), 产能 (kg)


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


# ------------------------------------------------------------------------------------------ the book


class Book:
    """Quota lots by owning county; links and trades draw from them first-in first-out."""

    def __init__(self) -> None:
        self.lots: list[Lot] = []

    def add(self, owner: str, project: str, available: date, amount: np.ndarray) -> None:
        self.lots.append(Lot(owner, project, available, amount.astype(np.int64).copy()))

    def _usable(self, county: str, before: date) -> list[Lot]:
        lots = [lot for lot in self.lots if lot.owner == county and lot.available < before]
        return sorted(lots, key=lambda lot: (lot.available, lot.project))

    def available(self, county: str, before: date) -> np.ndarray:
        total = np.zeros(3, dtype=np.int64)
        for lot in self._usable(county, before):
            total += lot.amount
        return total

    def take(
        self, county: str, before: date, need: np.ndarray, only: str | None = None
    ) -> dict[str, np.ndarray]:
        """Draw `need` (each dimension independently) from the county's lots; project → amount taken."""
        rest = need.astype(np.int64).copy()
        taken: dict[str, np.ndarray] = {}
        for lot in self._usable(county, before):
            if only is not None and lot.project != only:
                continue
            part = np.minimum(rest, lot.amount)
            if part.any():
                lot.amount -= part
                rest -= part
                taken[lot.project] = taken.get(lot.project, np.zeros(3, dtype=np.int64)) + part
            if not rest.any():
                break
        if only is None and rest.any():
            raise RuntimeError(f"quota book: {county} cannot supply {rest.tolist()} before {before}")
        return taken

    def transfer(self, seller: str, buyer: str, on: date, amount: np.ndarray) -> None:
        for project, part in self.take(seller, on, amount).items():
            self.add(buyer, project, on, part)


# ------------------------------------------------------------------------------------------- builder


class QuotaBuilder:
    def __init__(self, survey: Survey, rng: np.random.Generator) -> None:
        self.survey = survey
        self.rng = rng
        self.provincial_share = float(parameters("PR14")["provincial_share"])
        self.national = str(parameters("PR23")["required_authority"])
        self.village_names = dict(zip(villages().code.tolist(), villages().name.tolist(), strict=True))
        self.seq: dict[str, int] = {}
        self.used_parcels: set[int] = set()

    # ------------------------------------------------------------------------------------ numbering

    def _next(self, key: str) -> int:
        self.seq[key] = self.seq.get(key, 0) + 1
        return self.seq[key]

    def project_code(self, kind: str, county: str, year: int) -> str:
        prefix = {"垦造耕地": "KZ", "旱地改水田": "HG", "建设用地复垦": "FK", "高标准农田新增耕地": "GB"}[
            kind
        ]
        return f"{prefix}{county}-{year}-{self._next(f'{prefix}{county}{year}'):03d}"

    def approval_number(self, level: str, use: str, county: str, year: int) -> str:
        if level == NATIONAL:
            return f"国函〔{year}〕{10 + 3 * self._next(f'gh{year}')}号"
        if level == PROVINCE:
            return f"浙政土字〔{year}〕{100 + 7 * self._next(f'zt{year}')}号"
        if use == "临时用地":
            return f"{short_name(county)}自然资规临〔{year}〕{self._next(f'ls{county}{year}')}号"
        return f"{short_name(county)}设施农用地备〔{year}〕{self._next(f'ss{county}{year}')}号"

    def place(self, village: str) -> str:
        return self.village_names.get(village, "")

    # -------------------------------------------------------------------------------- supplements

    def survey_supplements(self) -> list[Supplement]:
        rng = self.rng
        out = []
        for piece in self.survey.gains + self.survey.dry_to_paddy:
            year = piece.year
            dry = piece.before == "0103" and piece.after == "0101"
            kind = "旱地改水田" if dry else ("高标准农田新增耕地" if rng.random() < 0.2 else "垦造耕地")
            accepted = clamp(
                piece.changed_on - days(rng.integers(0, 90)), date(year, 1, 3), date(year, 12, 10)
            )
            started = accepted - days(rng.integers(300, 720))
            stocked = min(accepted + days(rng.integers(15, 75)), LAST_STOCKING)
            new_u = 0 if dry else to_units(piece.after_mu)
            paddy_u = to_units(piece.after_mu) if piece.after == "0101" else 0
            grade = piece.grade_after
            if dry:  # 旱改水 lifts the land about one grade: the capacity of that step
                capacity = math.floor(piece.after_mu * (capacity_per_mu(grade - 1) - capacity_per_mu(grade)))
            else:
                capacity = math.floor(piece.after_mu * capacity_per_mu(grade))
            code = self.project_code(kind, piece.county, year)
            out.append(
                Supplement(
                    code=code,
                    name=f"{self.place(piece.village)}{kind}项目",
                    kind=kind,
                    county=piece.county,
                    started=started,
                    accepted=accepted,
                    stocked=stocked,
                    new_u=new_u,
                    paddy_u=paddy_u,
                    capacity_kg=capacity,
                    grade=grade,
                    provincial_u=self.provincial(kind, new_u),
                    bounds=piece.bounds,
                    origin="survey",
                    piece=piece,
                )
            )
        return out

    def provincial(self, kind: str, new_u: int, share: float | None = None) -> int:
        """上划省统筹: a hair over the share of 新增 for 垦造耕地 (001 §三(七)), nothing for other kinds."""
        if kind != "垦造耕地":
            return 0
        return math.ceil(new_u * (self.provincial_share if share is None else share)) + 1

    def free_parcels(self, county: str) -> list[Parcel]:
        parcels = [
            candidate
            for candidate in self.survey.free_cultivated
            if candidate.county == county and candidate.bsm not in self.used_parcels
        ]
        # Paddy and good land first: the quota a county banks is mostly 水田 of grade 4–5.
        return sorted(
            parcels,
            key=lambda candidate: (
                candidate.dlbm != "0101",
                candidate.grade,
                -candidate.area_c,
                candidate.bsm,
            ),
        )

    def pool_supplement(
        self, county: str, want_mu: float, *, stocked_by: date = date(2021, 10, 31)
    ) -> Supplement:
        """An older project (accepted 2019–2021) on part of an untouched base 耕地 parcel, sized to yield
        about `want_mu` of 新增耕地 (capped by the parcel)."""
        rng = self.rng
        parcels = self.free_parcels(county)
        if not parcels:
            raise RuntimeError(f"no untouched 耕地 parcel left in {county} for a supplement project")
        parcel = parcels[0]
        self.used_parcels.add(parcel.bsm)
        x0, y0, x1, y1 = parcel.bounds
        full_mu = cents_to_mu(parcel.area_c * parcel.keep)
        fraction = min(POOL_SHARE_OF_PARCEL, max(0.05, want_mu / full_mu))
        if x1 - x0 >= y1 - y0:
            x1 = round(x0 + fraction * (x1 - x0), 2)
        else:
            y1 = round(y0 + fraction * (y1 - y0), 2)
        bounds = (x0, y0, x1, y1)
        area_c = int(rectangle_area_cents(*(np.array([value]) for value in bounds))[0])
        new_mu = cents_to_mu(area_c * parcel.keep)
        kind = str(rng.choice(["垦造耕地", "垦造耕地", "垦造耕地", "建设用地复垦", "高标准农田新增耕地"]))
        started = random_day(rng, date(2018, 3, 1), date(2019, 12, 20))
        accepted = min(started + days(rng.integers(300, 600)), stocked_by - days(30))
        stocked = min(accepted + days(rng.integers(20, 90)), stocked_by)
        new_u = to_units(new_mu)
        return Supplement(
            code=self.project_code(kind, county, accepted.year),
            name=f"{self.place(parcel.village)}{kind}项目",
            kind=kind,
            county=county,
            started=started,
            accepted=accepted,
            stocked=stocked,
            new_u=new_u,
            paddy_u=new_u if parcel.dlbm == "0101" else 0,
            capacity_kg=math.floor(new_mu * capacity_per_mu(parcel.grade)),
            grade=parcel.grade,
            provincial_u=self.provincial(kind, new_u),
            bounds=bounds,
            origin="pool",
        )

    # ---------------------------------------------------------------------------------- approvals

    def redline(self, bounds: tuple[float, float, float, float], county: str) -> tuple[float, ...]:
        cx0, cy0, cx1, cy1 = county_by_code(county).bounds
        x0, y0, x1, y1 = bounds
        margin = REDLINE_MARGIN
        return (max(x0 - margin, cx0), max(y0 - margin, cy0), min(x1 + margin, cx1), min(y1 + margin, cy1))

    def construction_approvals(self) -> list[Approval]:
        rng = self.rng
        out = []
        for piece in self.survey.occupations:
            occupied = to_units(piece.before_mu)
            approved = clamp(piece.changed_on - days(rng.integers(30, 240)), FIRST_APPROVAL, piece.changed_on)
            out.append(
                Approval(
                    number="",
                    name="",  # named once its date is final: 嘉兴市<county><year>年度第n批次…
                    use="建设用地",
                    county=piece.county,
                    approved=approved,
                    level=PROVINCE,
                    occupied_u=occupied,
                    paddy_u=occupied if piece.before == "0101" else 0,
                    grade=piece.grade_before,
                    bounds=self.redline(piece.bounds, piece.county),
                    piece=piece,
                )
            )
        return out

    def facility_approvals(self) -> tuple[list[Approval], Approval]:
        """设施农业用地 filings of the 耕地 → 1202 pieces, 备案面积 = the piece's area, red line = the piece
        grown by the margin — or the piece itself where the margin would reach so much neighbouring 1202
        that the filing looked over-built; and the planted PR25 filing (the earliest), which declares
        only part of what stands inside its red line. Returns (filings, the planted one)."""
        rng = self.rng
        out = []
        for piece in self.survey.to_facility:
            occupied = to_units(piece.before_mu)
            bounds = self.redline(piece.bounds, piece.county)
            if ground.facility_inside_mu(self.survey, bounds) > ground.CLEAN_FACILITY_RATIO * piece.area_mu:
                bounds = piece.bounds
            out.append(
                Approval(
                    number="",
                    name=f"{self.place(piece.village)}粮食烘干及农机用房设施农业用地",
                    use="设施农业用地",
                    county=piece.county,
                    approved=clamp(
                        piece.changed_on - days(rng.integers(20, 120)), FIRST_APPROVAL, piece.changed_on
                    ),
                    level=COUNTY,
                    occupied_u=occupied,
                    paddy_u=occupied if piece.before == "0101" else 0,
                    grade=piece.grade_before,
                    bounds=bounds,
                    piece=piece,
                    filed_mu=piece.area_mu,
                )
            )
        if not out:
            raise RuntimeError("the survey offers no 耕地 → 1202 piece for PR25; generate at a larger scale")
        pr25 = min(out, key=lambda approval: (approval.approved, approval.piece.bsm))
        pr25.filed_mu = round(
            ground.PR25_FILED_SHARE * ground.facility_inside_mu(self.survey, pr25.bounds), 4
        )
        pr25.role = "PR25"
        return out, pr25

    def temporary_approvals(self) -> tuple[list[Approval], Approval]:
        """临时用地 on 耕地 away from 永农 and the 功能区 (untouched 非粮 parcels: the only 耕地 the survey
        keeps clear of both, so there may be fewer than two): one past its 复垦期限 and restored (the land
        is 耕地 again, more than it occupied), one still running; and the planted PR24 approval of 2021,
        past its 复垦期限, whose red line lies on land that is not 耕地 at all. Returns (approvals, PR24).

        Dates are offset by the parcel's BSM rather than drawn, so adding temporary land leaves the
        random stream of every later record as it was."""
        clean, abandoned = ground.temporary_ground(self.survey, self.used_parcels)
        out = []
        for parcel, approved in zip(clean, (date(2022, 5, 16), date(2025, 3, 10)), strict=False):
            self.used_parcels.add(parcel.bsm)
            bounds = ground.strip(parcel.bounds, ground.TEMPORARY_STRIP)
            occupied = to_units(round(0.9 * ground.box_mu(bounds) * parcel.keep, 4))
            out.append(self._temporary(parcel, bounds, approved + days(parcel.bsm % 20), occupied))
        self.used_parcels.add(abandoned.bsm)
        bounds = ground.strip(abandoned.bounds, ground.PR24_STRIP)
        occupied = to_units(round(ground.PR24_OCCUPIED_SHARE * ground.box_mu(bounds), 4))
        pr24 = self._temporary(abandoned, bounds, ground.PR24_APPROVED + days(abandoned.bsm % 20), occupied)
        pr24.name = f"{self.place(abandoned.village)}高速公路施工便道临时用地"
        pr24.grade = ground.PR24_GRADE
        pr24.role = "PR24"
        out.append(pr24)
        return out, pr24

    def _temporary(self, parcel: Parcel, bounds, approved: date, occupied: int) -> Approval:
        return Approval(
            number="",
            name=f"{self.place(parcel.village)}输变电工程施工临时用地",
            use="临时用地",
            county=parcel.county,
            approved=approved,
            level=COUNTY,
            occupied_u=occupied,
            paddy_u=occupied if parcel.dlbm == "0101" else 0,
            grade=parcel.grade,
            bounds=bounds,
            reclaim_by=date(approved.year + ground.TEMPORARY_YEARS, approved.month, min(approved.day, 28)),
        )


_CONSTRUCTION_NAMES = {
    "0701": "城镇住宅建设用地",
    "0702": "农村村民建房用地",
    "0601": "工业用地（智能制造产业园）",
    "1003": "公路工程建设用地",
    "05H1": "商业服务业设施用地",
}


def _construction_name(piece: Piece, year: int, rng: np.random.Generator) -> str:
    county = county_by_code(piece.county).name
    what = _CONSTRUCTION_NAMES.get(piece.after, "城镇建设用地")
    return f"嘉兴市{county}{year}年度第{int(rng.integers(1, 30))}批次{what}"


_PROMISE_NAMES = (
    "杭嘉湖高速公路{county}段工程",
    "沪嘉城际铁路{county}段工程",
    "嘉兴机场改扩建工程（{county}部分）",
)


def _fresh_number(builder: QuotaBuilder, approval: Approval) -> str:
    return builder.approval_number(approval.level, approval.use, approval.county, approval.approved.year)


# ------------------------------------------------------------------------------------------- assembly


def _first(candidates, what: str):
    found = next(candidates, None)
    if found is None:
        raise RuntimeError(f"the survey offers no {what}; generate at a larger scale")
    return found


def build_quota(survey: Survey, rng: np.random.Generator, avoid_villages: set[str] = frozenset()) -> Quota:
    """The quota records; `avoid_villages` (planted cases and survey findings) host no PR10 piece."""
    builder = QuotaBuilder(survey, rng)
    supplements = builder.survey_supplements()
    approvals = builder.construction_approvals()
    by_county: dict[str, list[Approval]] = {}
    for approval in approvals:
        by_county.setdefault(approval.county, []).append(approval)
    counties = survey.county_codes()

    # PR15: a county whose last project is accepted in 2025 and 入库 on 30 December.
    finals = [
        supplement
        for supplement in supplements
        if supplement.accepted.year == 2025 and supplement.kind != "旱地改水田" and supplement.new_u > 0
    ]
    finals.sort(key=lambda supplement: (-supplement.new_u, supplement.code))
    final = _first(iter(finals), "a project accepted in 2025 for PR15")
    final.accepted = min(final.accepted, date(2025, 12, 10))
    final.stocked = PR15_RESTOCK
    pr15 = final.county

    # The county hosting the PR06 cases needs a project 入库 after the approvals it will link to late.
    def late_project(county: str) -> Supplement | None:
        mine = [
            supplement
            for supplement in supplements
            if supplement.county == county and supplement.stock()[0] > 0 and supplement is not final
        ]
        return min(mine, key=lambda supplement: (supplement.stocked, supplement.code)) if mine else None

    hosts = [
        county_code
        for county_code in counties
        if county_code != pr15 and len(by_county.get(county_code, [])) >= 3
    ]
    host_b = _first(
        (county_code for county_code in hosts if late_project(county_code) is not None),
        "a county to host the PR06 cases",
    )
    host_a = _first(
        (
            county_code
            for county_code in hosts
            if county_code != host_b and any(approval.paddy_u for approval in by_county[county_code])
        ),
        "a county to host the PR03–PR05 cases",
    )
    no_sell = {host_a, host_b}
    late = late_project(host_b)

    # DQ10: a project whose 验收 precedes its 立项 (a typo of the year); it is quarantined, so nothing
    # links to it and it is kept out of the PR15 county.
    dq10 = _first(
        (
            supplement
            for supplement in supplements
            if supplement.county not in (pr15, host_b)
            and supplement is not final
            and supplement.kind == "垦造耕地"
        ),
        "a 垦造耕地 project for DQ10",
    )
    dq10.started = date(dq10.accepted.year + 1, dq10.started.month, min(dq10.started.day, 28))
    dq10.linkable = False
    # PR14: a 垦造耕地 project hands only half of the 20% to the province.
    pr14 = _first(
        (
            supplement
            for supplement in supplements
            if supplement.kind == "垦造耕地"
            and supplement not in (dq10, final, late)
            and supplement.new_u > 0
        ),
        "a 垦造耕地 project for PR14",
    )
    pr14.provincial_u = math.floor(pr14.new_u * builder.provincial_share / 2)
    # PR17: two more projects re-declare their 新增耕地 — one beyond the tolerance, one a near miss.
    pr17, pr17_near = ground.plant_pr17(
        supplements, [dq10, final, late, pr14], {pr15, host_a, host_b}, builder.provincial
    )

    # Roles of the approvals.
    a_list = sorted(by_county[host_a], key=lambda approval: (approval.approved, approval.number))
    paddy_first = sorted(a_list, key=lambda approval: (approval.paddy_u == 0, approval.approved))
    pr04 = paddy_first[0]
    rest_a = [approval for approval in a_list if approval is not pr04]
    pr03, pr05 = rest_a[0], rest_a[1]
    pr03.role, pr04.role, pr05.role = "PR03", "PR04", "PR05"

    b_list = sorted(by_county[host_b], key=lambda approval: (approval.approved, approval.piece.bsm))
    exception, late_nc, promise_late = b_list[0], b_list[1], b_list[2]
    for approval, role in ((exception, "PR06-exception"), (late_nc, "PR06"), (promise_late, "PR06-promise")):
        approval.role = role
    for approval in (exception, late_nc):  # approved before the late project is 入库, linked just after it
        approval.approved = clamp(
            min(approval.piece.changed_on, late.stocked) - days(rng.integers(20, 60)),
            FIRST_APPROVAL,
            approval.piece.changed_on,
        )
        approval.link_on = min(late.stocked + days(rng.integers(5, 20)), date(2025, 12, 28))
    exception.promise = True
    exception.deadline = max(exception.approved + days(730), exception.link_on + days(30))
    exception.name = _PROMISE_NAMES[0].format(county=county_by_code(host_b).name)
    promise_late.promise = True
    promise_late.approved = min(promise_late.approved, date(2025, 1, 31))
    promise_late.deadline = promise_late.approved + days(rng.integers(180, 240))
    promise_late.link_on = promise_late.deadline + days(rng.integers(30, 60))
    promise_late.name = _PROMISE_NAMES[1].format(county=county_by_code(host_b).name)

    # 永农 occupied: 国务院 approvals (clean), one at 省 level (PR23), one underpaid (PR07, in fees.py).
    others = sorted(
        (approval for approval in approvals if approval.county not in no_sell and approval.role == "clean"),
        key=lambda approval: (approval.county, approval.approved),
    )
    picks: dict[str, Approval] = {}
    for role in ("PR07", "PR23", "pbf-demo", "pbf", "promise", "DQ07"):
        pool = [
            approval
            for approval in others
            if approval.role == "clean" and approval.county not in {pick.county for pick in picks.values()}
        ]
        if not pool:
            pool = [approval for approval in others if approval.role == "clean"]
        chosen = pool[int(rng.integers(len(pool)))]
        chosen.role = role
        picks[role] = chosen
    for role in ("PR07", "PR23", "pbf-demo", "pbf"):
        approval = picks[role]
        approval.pbf_u = to_units(round(approval.occupied_mu * float(rng.uniform(0.2, 0.5)), 4))
        if role in ("PR07", "pbf-demo"):
            approval.demo_u = to_units(round(approval.pbf_mu * float(rng.uniform(0.2, 0.5)), 4))
        approval.level = PROVINCE if role == "PR23" else builder.national
    picks["promise"].promise = True
    picks["promise"].deadline = picks["promise"].approved + days(730)
    picks["promise"].name = _PROMISE_NAMES[2].format(county=county_by_code(picks["promise"].county).name)
    exception.level = builder.national if exception.pbf_u else PROVINCE

    # The pool of older projects is sized from each county's own occupation of 耕地, approved or not.
    needs: dict[str, float] = {county_code: 0.0 for county_code in counties}
    for approval in approvals:
        needs[approval.county] += approval.occupied_mu

    # PR10: three of the clean approvals left, away from the counties of the quota plants.
    pr10 = ground.choose_pr10(approvals, no_sell | {pr15}, set(avoid_villages))
    for role, approval in pr10.items():
        approval.role = role
    ground.plant_pr10(pr10, builder.redline)

    facilities, pr25 = builder.facility_approvals()
    temporary, pr24 = builder.temporary_approvals()
    for approval in approvals + facilities + temporary:
        approval.number = _fresh_number(builder, approval)
        if not approval.name:
            approval.name = _construction_name(approval.piece, approval.approved.year, rng)
    # Numbered with the rest so that no other 批准文号 moves; then never delivered.
    approvals = [approval for approval in approvals if approval is not pr10["PR10-none"]]
    for county in counties:
        factor = POOL_FACTOR_BUYER if county in no_sell else POOL_FACTOR_SELLER
        want = factor * needs[county]
        while want > 1.0 and builder.free_parcels(county):  # a county out of land buys the rest later
            supplement = builder.pool_supplement(county, want)
            supplements.append(supplement)
            want -= supplement.new_mu

    quota = Quota(supplements=supplements, approvals=approvals + facilities + temporary, links=[], trades=[])
    quota.no_sell = no_sell
    quota.pr15_county = pr15
    _simulate(builder, quota, approvals, late, rng)
    _plant_pr15(quota, final, rng)
    _plant_orphan_link(quota, rng)

    # DQ07: one project and one approval delivered twice (the later row is the duplicate).
    quota.duplicate_supplement = next(
        supplement
        for supplement in supplements
        if supplement.origin == "pool" and supplement.county not in (pr15,) and supplement.linkable
    )
    quota.duplicate_approval = picks["DQ07"]
    quota.planted = {
        "PR03": pr03,
        "PR04": pr04,
        "PR05": pr05,
        "PR06": late_nc,
        "PR06-promise": promise_late,
        "PR06-exception": exception,
        "PR07": picks["PR07"],
        "PR23": picks["PR23"],
        "PR14": pr14,
        "DQ10": dq10,
        "late": late,
        "final": final,
        **pr10,
        "PR17": pr17,
        "PR17-near": pr17_near,
        "PR24": pr24,
        "PR25": pr25,
    }
    _number_links(quota)
    return quota


def _simulate(builder: QuotaBuilder, quota: Quota, approvals: list[Approval], late: Supplement, rng) -> None:
    """Link every 建设用地 approval in date order, buying quota where a county runs short."""
    book = Book()
    for supplement in quota.supplements:
        if not supplement.linkable:
            continue
        stock = supplement.stock()
        if supplement is late:  # a third each is kept for the two approvals that must link to it late
            part = stock // 3
            for role in ("PR06", "PR06-exception"):
                book.add(f"{supplement.county}#{role}", supplement.code, supplement.stocked, part)
            stock = stock - 2 * part
        book.add(supplement.county, supplement.code, supplement.stocked, stock)
    counties = sorted(
        {supplement.county for supplement in quota.supplements} | {approval.county for approval in approvals}
    )
    sellers = [county for county in counties if county not in quota.no_sell]
    margin = np.array([MARGIN_U, MARGIN_U, MARGIN_KG], dtype=np.int64)
    for approval in approvals:
        if approval.link_on is None:
            approval.link_on = approval.approved - days(rng.integers(3, 30))

    agenda: list[tuple[date, int, object]] = [(approval.link_on, 1, approval) for approval in approvals]
    agenda += [(day, 0, None) for day in VOLUNTARY_TRADES]
    agenda.sort(key=lambda entry: (entry[0], entry[1], getattr(entry[2], "number", "")))

    def trade(seller: str, buyer: str, on: date, amount: np.ndarray) -> None:
        book.transfer(seller, buyer, on, amount)
        quota.trades.append(
            Trade(
                "",
                seller,
                buyer,
                on,
                int(amount[0]),
                int(amount[1]),
                int(amount[2]),
                round(float(rng.uniform(35, 80)), 1),
            )
        )

    for on, _, item in agenda:
        if item is None:  # a voluntary trade: the richest seller sells a tenth of its surplus
            surplus = {county: book.available(county, on) - margin for county in sellers}
            seller = max(sellers, key=lambda county: (surplus[county][0], county))
            amount = np.maximum(surplus[seller] // 10, 0)
            amount[0] = amount[0] // UNIT * UNIT  # whole 亩
            amount[1] = min(amount[1] // UNIT * UNIT, amount[0])
            if amount[0] >= 100 * UNIT:
                buyers = [county for county in counties if county != seller]
                trade(seller, buyers[int(rng.integers(len(buyers)))], on, amount)
            continue
        approval: Approval = item
        need = approval.need()
        if approval.role == "PR03":
            need[0] = math.floor(approval.occupied_u * 0.9)
        elif approval.role == "PR04":
            need[1] = math.floor(approval.paddy_u * 0.85)
        elif approval.role == "PR05":
            need[2] = math.floor(approval.capacity_need_kg * 0.9)
        taken: dict[str, np.ndarray] = {}
        if approval.role in ("PR06", "PR06-exception"):  # part of it from the project 入库 after the approval
            taken = book.take(f"{approval.county}#{approval.role}", approval.link_on, need, only=late.code)
            for part in taken.values():
                need = need - part
        short = np.maximum(need + margin - book.available(approval.county, approval.link_on), 0)
        if short.any():
            # Events are handled in date order; a purchase a few days back only looks at what the seller
            # holds now, which is never more than it held then, so no balance can go below the margin.
            t_on = approval.link_on - days(rng.integers(2, 10))
            amount = _round_up(short + margin)
            candidates = [
                county
                for county in sellers
                if county != approval.county and (book.available(county, t_on) - margin >= amount).all()
            ]
            if candidates:
                seller = max(candidates, key=lambda county: (book.available(county, t_on)[0], county))
                trade(seller, approval.county, t_on, amount)
            else:  # nobody can sell: the county had banked older projects after all
                while (book.available(approval.county, approval.link_on) - margin < need).any():
                    if not builder.free_parcels(approval.county):
                        raise RuntimeError(
                            f"cannot balance {approval.number}: no quota to buy, no land for a project"
                        )
                    lacking = np.maximum(need + margin - book.available(approval.county, approval.link_on), 0)
                    want = max(lacking[0] / UNIT, lacking[1] / UNIT, lacking[2] / capacity_per_mu(7)) + 200.0
                    supplement = builder.pool_supplement(approval.county, want)
                    quota.supplements.append(supplement)
                    book.add(supplement.county, supplement.code, supplement.stocked, supplement.stock())
        for project, part in book.take(approval.county, approval.link_on, need).items():
            taken[project] = taken.get(project, np.zeros(3, dtype=np.int64)) + part
        for project, part in sorted(taken.items()):
            quota.links.append(
                Link("", approval.number, project, approval.link_on, int(part[0]), int(part[1]), int(part[2]))
            )


def _round_up(amount: np.ndarray) -> np.ndarray:
    """Trade in round lots: whole 亩 of 数量 and 水田, thousands of kg of 产能."""
    out = amount.copy()
    out[0] = -(-amount[0] // UNIT) * UNIT
    out[1] = -(-amount[1] // UNIT) * UNIT
    out[2] = -(-amount[2] // 1000) * 1000
    out[0] = max(out[0], out[1])  # paddy quota is quota of 耕地 too: never more 水田 than 数量
    return out


def _plant_pr15(quota: Quota, final: Supplement, rng) -> None:
    """The PR15 county sells 数量 it does not have on 29 December; its last project, 入库 the next day,
    brings the balance back above zero."""
    from sources.demo.records import ledger

    county = quota.pr15_county
    approval_county = {approval.number: approval.county for approval in quota.approvals}
    evts = ledger.events(quota.supplements, quota.links, quota.trades, approval_county, proportional=False)
    later = [
        event
        for event in evts
        if event.county == county and event.on >= PR15_DAY and event.on != PR15_RESTOCK
    ]
    if later:
        raise RuntimeError(f"PR15 county {county} has quota events after {PR15_DAY}")
    balance = sum(event.quantity for event in evts if event.county == county and event.on <= PR15_DAY)
    restock = final.stock()[0] / UNIT
    q_mu = math.ceil(balance + 0.5 * restock)
    buyers = [
        county_code
        for county_code in sorted({supplement.county for supplement in quota.supplements})
        if county_code != county
    ]
    trade = Trade(
        "",
        county,
        buyers[int(rng.integers(len(buyers)))],
        PR15_DAY,
        q_mu * UNIT,
        0,
        0,
        round(float(rng.uniform(35, 80)), 1),
    )
    quota.trades.append(trade)
    quota.pr15_trade = trade


def _plant_orphan_link(quota: Quota, rng) -> None:
    """DQ13: a link whose 批准文号 no approval carries (a mistyped number), drawing a little quota from
    a big pool project of a county that sells quota and is not the PR15 county."""
    pool = [
        supplement
        for supplement in quota.supplements
        if supplement.origin == "pool"
        and supplement.county not in quota.no_sell
        and supplement.county != quota.pr15_county
        and supplement.linkable
    ]
    supplement = max(pool, key=lambda supplement: (supplement.new_u, supplement.code))
    existing = {approval.number for approval in quota.approvals}
    number = "浙政土字〔2024〕999号"
    while number in existing:
        number = number.replace("999", "998")
    on = date(2024, 7, 8) + days(rng.integers(0, 20))
    link = Link("", number, supplement.code, on, 5 * UNIT, 5 * UNIT, 4000, fallback_county=supplement.county)
    quota.links.append(link)
    quota.orphan_link = link


def _number_links(quota: Quota) -> None:
    quota.links.sort(key=lambda link: (link.on, link.approval, link.project))
    per_year: dict[int, int] = {}
    for link in quota.links:
        per_year[link.on.year] = per_year.get(link.on.year, 0) + 1
        link.number = f"GG{link.on.year}{per_year[link.on.year]:04d}"
    quota.trades.sort(key=lambda trade: (trade.on, trade.seller, trade.buyer))
    per_year = {}
    for trade in quota.trades:
        per_year[trade.on.year] = per_year.get(trade.on.year, 0) + 1
        trade.number = f"TJ{trade.on.year}-{per_year[trade.on.year]:03d}"
