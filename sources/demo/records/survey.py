"""What the records must agree with, read off the generated survey (`Demo`), never changing it:

- the change pieces of 2023–2025 by kind: 耕地 → construction (an approval's red line must cover each),
  other land → 耕地 (a supplement project accepted that year covers each), 旱地 → 水田 (旱改水 projects),
  耕地 → 设施农用地 1202 (facility-farmland filings);
- base parcels nothing ever touches or plants on (where older supplement projects and temporary-use
  land go: grain 耕地, non-grain 耕地 outside 永农, land that is not 耕地);
- what land lies inside a rectangle in a year's state, measured as the warehouse does (TBDLMJ × planar
  share), for the red lines and boundaries the records draw;
- per village and year: 耕地 and the 耕地 inside 永久基本农田 (the compensation ledger), and which villages
  hold 永农 at all (the 田长 roster).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

import numpy as np

from sources.demo.frame import Table
from sources.demo.landclasses import CULTIVATED, land_classes
from sources.demo.rects import RectSet, near_any, of, overlap_pairs
from sources.demo.region import counties, villages

FIRST_YEAR = 2023
GRAIN_CODES = ("LS", "LYFL", "XG")
PBF_VILLAGE_MARGIN = 5.0  # metres: a village whose parcels come this close to 永农 is treated as holding it


def cents_to_mu(cents: float) -> float:
    return round(float(cents) * 15 / 1_000_000, 4)


@dataclass(frozen=True)
class Piece:
    """One DLTBGXGC record (a piece of area that changed) with what the records need of it."""

    year: int
    bsm: int
    county: str
    village: str  # 12-digit 行政村 code
    before: str  # BGQDLBM
    after: str  # BGHDLBM
    changed_on: date  # GXSJ
    before_c: int  # BGQTBDLMJ, hundredths of m²
    after_c: int  # BGHTBDLMJ
    area_c: int  # TBBGMJ
    grade_before: int  # -1 = none
    grade_after: int
    bounds: tuple[float, float, float, float]
    after_bsm: int = 0  # BGHTBBSM: the parcel the piece became (how the warehouse names a change record)

    @property
    def before_mu(self) -> float:
        return cents_to_mu(self.before_c)

    @property
    def after_mu(self) -> float:
        return cents_to_mu(self.after_c)

    @property
    def area_mu(self) -> float:
        return cents_to_mu(self.area_c)


@dataclass(frozen=True)
class Parcel:
    """An untouched base parcel (the same in every state 2022–2025)."""

    bsm: int
    county: str
    village: str
    dlbm: str
    grade: int
    keep: float  # TBDLMJ / TBMJ: the share of the polygon that counts as 耕地 (the rest is 田坎)
    bounds: tuple[float, float, float, float]
    area_c: int  # TBMJ


class Survey:
    """Read-only views of a generated `Demo` for the record generators."""

    def __init__(self, demo) -> None:
        self.demo = demo
        planted = {
            int(planted_entry["entity_id"])
            for planted_entry in demo.manifest["planted"]
            if planted_entry["entity_type"] == "parcel"
        }
        self.excluded_bsm = planted | set(int(bsm) for bsm in demo.quarantined_bsm)
        self._index: dict[int, tuple[np.ndarray, RectSet]] = {}

    # ------------------------------------------------------------------------------------ change pieces

    @cached_property
    def pieces(self) -> list[Piece]:
        classes = land_classes()
        codes = villages().code
        out = []
        for year, (gx, gc) in self.demo.years.items():
            village_of = dict(zip(gx["BSM"].tolist(), gx["VILLAGE"].tolist(), strict=True))
            for row in range(len(gc["BSM"])):
                before, after = str(gc["BGQDLBM"][row]), str(gc["BGHDLBM"][row])
                if before not in classes or after not in classes:
                    continue
                out.append(
                    Piece(
                        year=year,
                        bsm=int(gc["BSM"][row]),
                        county=str(gc["COUNTY"][row]),
                        village=str(codes[village_of[int(gc["BGHTBBSM"][row])]]),
                        before=before,
                        after=after,
                        changed_on=gc["GXSJ"][row].astype("datetime64[D]").astype(date),
                        before_c=int(gc["BGQTBDLMJ_C"][row]),
                        after_c=int(gc["BGHTBDLMJ_C"][row]),
                        area_c=int(gc["TBBGMJ_C"][row]),
                        grade_before=int(gc["BGQGDDB"][row]),
                        grade_after=int(gc["BGHGDDB"][row]),
                        bounds=tuple(float(gc[column][row]) for column in ("x0", "y0", "x1", "y1")),
                        after_bsm=int(gc["BGHTBBSM"][row]),
                    )
                )
        out.sort(key=lambda planted_entry: (planted_entry.year, planted_entry.county, planted_entry.bsm))
        return out

    @cached_property
    def occupations(self) -> list[Piece]:
        """耕地 → construction (is_construction of ref_land_classes)."""
        classes = land_classes()
        return [
            piece
            for piece in self.pieces
            if piece.before in CULTIVATED and classes[piece.after].is_construction
        ]

    @cached_property
    def gains(self) -> list[Piece]:
        """Other land → 耕地: the new farmland of supplement projects."""
        return [
            piece for piece in self.pieces if piece.before not in CULTIVATED and piece.after in CULTIVATED
        ]

    @cached_property
    def dry_to_paddy(self) -> list[Piece]:
        """旱地 0103 → 水田 0101 (旱改水)."""
        return [piece for piece in self.pieces if piece.before == "0103" and piece.after == "0101"]

    @cached_property
    def to_facility(self) -> list[Piece]:
        """耕地 → 1202 设施农用地."""
        return [piece for piece in self.pieces if piece.before in CULTIVATED and piece.after == "1202"]

    # -------------------------------------------------------------------------------- untouched parcels

    @cached_property
    def _untouched_rows(self) -> np.ndarray:
        """Base rows no change survey touches and nothing is planted on (the same in every state)."""
        base = self.demo.base
        touched = set()
        for _, gc in self.demo.years.values():
            touched.update(int(bsm) for bsm in gc["BGQTBBSM"])
        return np.array(
            [
                row
                for row in range(len(base["BSM"]))
                if int(base["BSM"][row]) not in touched
                and int(base["BSM"][row]) not in self.excluded_bsm
                and base["WKB"][row] is None
            ],
            dtype=np.int64,
        )

    def _parcel(self, row: int) -> Parcel:
        base = self.demo.base
        return Parcel(
            bsm=int(base["BSM"][row]),
            county=str(base["COUNTY"][row]),
            village=str(villages().code[base["VILLAGE"][row]]),
            dlbm=str(base["DLBM"][row]),
            grade=int(base["GDDB"][row]),
            keep=float(base["TBDLMJ_C"][row]) / float(base["TBMJ_C"][row]),
            bounds=tuple(float(base[column][row]) for column in ("x0", "y0", "x1", "y1")),
            area_c=int(base["TBMJ_C"][row]),
        )

    @cached_property
    def free_cultivated(self) -> list[Parcel]:
        """Base 耕地 parcels no change survey touches and nothing is planted on, sown to grain."""
        base = self.demo.base
        return [
            self._parcel(row)
            for row in self._untouched_rows
            if str(base["DLBM"][row]) in CULTIVATED and base["ZZSXDM"][row] in GRAIN_CODES
        ]

    @cached_property
    def free_non_grain(self) -> list[Parcel]:
        """Untouched base 耕地 sown to non-grain crops (FLS): the survey keeps these outside 永农 and the
        功能区, so they are the 耕地 that temporary use may take."""
        base = self.demo.base
        return [
            self._parcel(row)
            for row in self._untouched_rows
            if str(base["DLBM"][row]) in CULTIVATED and base["ZZSXDM"][row] == "FLS"
        ]

    @cached_property
    def free_uncultivated(self) -> list[Parcel]:
        """Untouched base parcels that are neither 耕地 nor construction land (grass, woods, orchards,
        water, bare land…)."""
        base, classes = self.demo.base, land_classes()
        return [
            self._parcel(row)
            for row in self._untouched_rows
            if str(base["DLBM"][row]) not in CULTIVATED
            and str(base["DLBM"][row]) in classes
            and not classes[str(base["DLBM"][row])].is_construction
        ]

    def near_protection(self, bounds: list[tuple[float, float, float, float]], margin: float) -> np.ndarray:
        """Mask: the rectangle comes within `margin` of a 永农 box or a 粮食生产功能区."""
        if not bounds:
            return np.zeros(0, dtype=bool)
        arr = tuple(np.array([box[edge] for box in bounds]) for edge in range(4))
        near = near_any(arr, of(self.demo.control["YJJBNT"]), margin)
        return near | near_any(arr, of(self.demo.control["LSGNQ"]), margin)

    # ------------------------------------------------------------------------------- what lies inside

    def state(self, year: int) -> Table:
        """The parcel state at the end of `year` (2022 = the base year)."""
        return self.demo.states[year - 2022]

    def _indexed(self, year: int) -> tuple[np.ndarray, RectSet]:
        if year not in self._index:
            state = self.state(year)
            rows = np.flatnonzero(~np.isin(state["BSM"], np.asarray(self.demo.quarantined_bsm)))
            self._index[year] = (rows, RectSet(of(state, rows)))
        return self._index[year]

    def land_inside(self, year: int, bounds: tuple[float, float, float, float], classes) -> float:
        """m² of the land classes `classes` inside a rectangle in the state of `year`, as the warehouse
        measures it: Σ TBDLMJ × the planar share of each parcel inside (quarantined parcels left out)."""
        rows, rects = self._indexed(year)
        state = self.state(year)
        _, parcel_index, area = overlap_pairs(tuple(np.array([value]) for value in bounds), rects)
        parcel_rows = rows[parcel_index]
        keep = np.isin(state["DLBM"][parcel_rows].astype(str), list(classes)) & (area > 0)
        x0, y0, x1, y1 = (state[column][parcel_rows][keep] for column in ("x0", "y0", "x1", "y1"))
        share = area[keep] / ((x1 - x0) * (y1 - y0))
        return float((state["TBDLMJ_C"][parcel_rows][keep] / 100 * share).sum())

    def near_pbf(self, bounds: list[tuple[float, float, float, float]], margin: float) -> np.ndarray:
        """Mask: the rectangle comes within `margin` of a 永农 box."""
        if not bounds:
            return np.zeros(0, dtype=bool)
        arr = tuple(np.array([box[edge] for box in bounds]) for edge in range(4))
        return near_any(arr, of(self.demo.control["YJJBNT"]), margin)

    # --------------------------------------------------------------------------------------- villages

    @cached_property
    def village_farmland(self) -> dict[int, dict[str, tuple[int, int]]]:
        """year → village code → (耕地 cents, 耕地 inside 永农 cents); quarantined parcels left out.

        耕地 inside 永农 is each parcel's 耕地 (TBDLMJ) times the share of its rectangle under 永农 boxes.
        """
        codes = villages().code
        pbf = of(self.demo.control["YJJBNT"])
        quarantined = np.asarray(self.demo.quarantined_bsm)
        out: dict[int, dict[str, tuple[int, int]]] = {}
        for year in range(FIRST_YEAR, 2026):
            state = self.state(year)
            rows = np.flatnonzero(
                np.isin(state["DLBM"].astype(str), CULTIVATED) & ~np.isin(state["BSM"], quarantined)
            )
            bounds = of(state, rows)
            row_position, _, area = overlap_pairs(bounds, pbf)
            planar = (bounds[2] - bounds[0]) * (bounds[3] - bounds[1])
            share = np.minimum(np.bincount(row_position, weights=area, minlength=len(rows)) / planar, 1.0)
            cult = state["TBDLMJ_C"][rows].astype(np.int64)
            inside = np.rint(cult * share).astype(np.int64)
            village = state["VILLAGE"][rows]
            totals: dict[str, list[int]] = {}
            for village_number, cultivated, pbf_c in zip(
                village.tolist(), cult.tolist(), inside.tolist(), strict=True
            ):
                village_totals = totals.setdefault(str(codes[village_number]), [0, 0])
                village_totals[0] += cultivated
                village_totals[1] += pbf_c
            out[year] = {
                code: (village_number[0], village_number[1])
                for code, village_number in sorted(totals.items())
            }
        return out

    @cached_property
    def villages_holding_pbf(self) -> set[str]:
        """Villages some of whose land lies under (or within a few metres of) a 永农 box."""
        base = self.demo.base
        keep = ~np.isin(base["BSM"], np.asarray(self.demo.quarantined_bsm))
        rows = np.flatnonzero(keep)
        near = near_any(of(base, rows), of(self.demo.control["YJJBNT"]), PBF_VILLAGE_MARGIN)
        codes = villages().code
        return {str(codes[village_number]) for village_number in base["VILLAGE"][rows[near]]}

    @staticmethod
    def county_codes() -> list[str]:
        return [county.code for county in counties()]
