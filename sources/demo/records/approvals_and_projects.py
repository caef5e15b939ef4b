"""The approvals and supplement projects the survey implies, before any is planted on: a supplement
project for every piece that became 耕地, a 建设用地 approval for every piece of 耕地 built on, a
设施农业用地 filing for every piece that became 1202, older projects on untouched 耕地 (the quota pool) and
临时用地 (temporary land use) on untouched non-grain 耕地. `QuotaBuilder` numbers them as agencies do."""

from __future__ import annotations

import math
from datetime import date

import numpy as np

from sources.demo.geodesy import rectangle_area_cents
from sources.demo.records import ground
from sources.demo.records.model import clamp, days, random_day
from sources.demo.records.params import capacity_per_mu, parameters
from sources.demo.records.quota_model import (
    COUNTY,
    NATIONAL,
    PROVINCE,
    Approval,
    Supplement,
    short_name,
    to_units,
)
from sources.demo.records.survey import Parcel, Piece, Survey, cents_to_mu
from sources.demo.region import county_by_code, villages

FIRST_APPROVAL = date(2022, 3, 1)
LAST_STOCKING = date(2025, 12, 20)
REDLINE_MARGIN = 1.0  # metres a red line extends beyond the ground it converts
POOL_SHARE_OF_PARCEL = 0.7


class QuotaBuilder:
    def __init__(self, survey: Survey, rng: np.random.Generator) -> None:
        self.survey = survey
        self.rng = rng
        self.provincial_share = float(parameters("PR14")["provincial_share"])
        self.national = str(parameters("PR23")["required_authority"])
        self.village_names = dict(zip(villages().code.tolist(), villages().name.tolist(), strict=True))
        self.seq: dict[str, int] = {}
        self.used_parcels: set[int] = set()
        self._queues: dict[str, list[Parcel]] = {}  # county → untouched grain 耕地, in the order taken
        self._queue_start: dict[str, int] = {}  # county → where its first parcel not yet used may be

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

    def _free_queue(self, county: str) -> list[Parcel]:
        """The county's untouched grain 耕地 in the order older projects take it: paddy and good land first
        (the quota a county banks is mostly 水田 of grade 4–5), then the larger parcel. Sorted once for
        every county, as projects are many and each takes the first parcel still free."""
        if not self._queues:
            for parcel in self.survey.free_cultivated:
                self._queues.setdefault(parcel.county, []).append(parcel)
            for queue in self._queues.values():
                queue.sort(key=lambda candidate: (
                    candidate.dlbm != "0101", candidate.grade, -candidate.area_c, candidate.bsm
                ))  # fmt: skip
        return self._queues.get(county, [])

    def next_free_parcel(self, county: str) -> Parcel | None:
        """The first parcel of the county's queue no record uses yet (None when none is left). Parcels
        once used stay used, so the queue is only ever read forwards."""
        queue = self._free_queue(county)
        position = self._queue_start.get(county, 0)
        while position < len(queue) and queue[position].bsm in self.used_parcels:
            position += 1
        self._queue_start[county] = position
        return queue[position] if position < len(queue) else None

    def pool_supplement(
        self, county: str, want_mu: float, *, stocked_by: date = date(2021, 10, 31)
    ) -> Supplement:
        """An older project (accepted 2019–2021) on part of an untouched base 耕地 parcel, sized to yield
        about `want_mu` of 新增耕地 (capped by the parcel)."""
        rng = self.rng
        parcel = self.next_free_parcel(county)
        if parcel is None:
            raise RuntimeError(f"no untouched 耕地 parcel left in {county} for a supplement project")
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

    def facility_approvals(self) -> list[Approval]:
        """设施农业用地 filings of the 耕地 → 1202 pieces, 备案面积 = the piece's area, red line = the piece
        grown by the margin — or the piece itself where the margin would reach so much neighbouring 1202
        that the filing looked over-built (PR25 is planted on one: ground_plants.py)."""
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
        return out

    def temporary_approvals(self) -> list[Approval]:
        """临时用地 on 耕地 away from 永农 and the 功能区 (untouched 非粮 parcels: the only 耕地 the survey
        keeps clear of both, so there may be fewer than two): one past its 复垦期限 and restored (the land
        is 耕地 again, more than it occupied), one still running (PR24 is planted beside them:
        ground_plants.py).

        Dates are offset by the parcel's BSM rather than drawn, so adding temporary land leaves the
        random stream of every later record as it was."""
        out = []
        for parcel, approved in zip(
            ground.temporary_ground(self.survey, self.used_parcels),
            (date(2022, 5, 16), date(2025, 3, 10)),
            strict=False,
        ):
            self.used_parcels.add(parcel.bsm)
            bounds = ground.strip(parcel.bounds, ground.TEMPORARY_STRIP)
            occupied = to_units(round(0.9 * ground.box_mu(bounds) * parcel.keep, 4))
            out.append(self.temporary(parcel, bounds, approved + days(parcel.bsm % 20), occupied))
        return out

    def temporary(self, parcel: Parcel, bounds, approved: date, occupied: int) -> Approval:
        """A 临时用地 approval on part of `parcel`, to be restored within TEMPORARY_YEARS."""
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


def construction_name(piece: Piece, year: int, rng: np.random.Generator) -> str:
    county = county_by_code(piece.county).name
    what = _CONSTRUCTION_NAMES.get(piece.after, "城镇建设用地")
    return f"嘉兴市{county}{year}年度第{int(rng.integers(1, 30))}批次{what}"


def fresh_number(builder: QuotaBuilder, approval: Approval) -> str:
    return builder.approval_number(approval.level, approval.use, approval.county, approval.approved.year)
