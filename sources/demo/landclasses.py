"""三调工作分类 land classes (地类) as the demo uses them: names and groupings from the seed table, the
mix of classes a 嘉兴 county shows, and which parcel attributes each class carries.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from sources.demo.region import SEEDS_DIR

CULTIVATED = ("0101", "0102", "0103")  # 耕地: 水田, 水浇地, 旱地
TERRACE = "1203"  # 田坎, the class of the KCMJ deducted from 耕地 parcels
# Classes whose parcels may carry the restorable-farmland marks JKHF/GCHF (园地, 林地, 草地, 坑塘).
RESTORABLE_PREFIXES = ("02", "03", "04")
RESTORABLE_EXTRA = ("1104",)

# Share of cultivated parcels' area by 耕地 class (嘉兴 is paddy country).
CULTIVATED_MIX = {"0101": 0.85, "0102": 0.07, "0103": 0.08}
# The built-up core of a county (lowest "farmland propensity") and the rural remainder.
URBAN_MIX = {"0701": 0.30, "0601": 0.32, "05H1": 0.10, "08H2": 0.07, "1004": 0.09, "1003": 0.07, "0810": 0.05}
RURAL_MIX = {
    "0702": 0.22, "1104": 0.14, "1101": 0.12, "1107": 0.08, "0201": 0.07, "0301": 0.07, "1006": 0.06,
    "0204": 0.04, "0202": 0.02, "0302": 0.03, "0307": 0.03, "1202": 0.04, "0404": 0.02, "1003": 0.03,
    "1102": 0.01, "1201": 0.01,
}  # fmt: skip

# 城镇村属性码 of built-up classes (201 城市, 202 建制镇, 203 村庄).
CZCSXM_CHOICES = {
    "0701": ("201", "202"), "0601": ("201", "202", "203"), "05H1": ("201", "202"), "08H2": ("201", "202"),
    "1004": ("201", "202", "203"), "0810": ("201",), "0702": ("203",), "1201": ("203",),
}  # fmt: skip
# 权属性质: state-owned use rights for urban classes, state ownership for rivers/lakes/highways,
# collective ownership elsewhere.
STATE_USE = {"0701", "0601", "05H1", "08H2", "1004", "0810"}
STATE_OWNED = {"1101", "1102", "1003"}


@dataclass(frozen=True)
class LandClass:
    code: str
    name: str
    is_cultivated: bool
    is_other_agricultural: bool
    is_construction: bool


@cache
def land_classes() -> dict[str, LandClass]:
    """The seed table transforms/seeds/ref_land_classes.csv, by DLBM."""
    with (SEEDS_DIR / "ref_land_classes.csv").open(encoding="utf-8") as handle:
        return {
            record["land_class"]: LandClass(
                record["land_class"],
                record["land_class_name"],
                record["is_cultivated"] == "true",
                record["is_other_agricultural"] == "true",
                record["is_construction"] == "true",
            )
            for record in csv.DictReader(handle)
        }


def class_name(code: str) -> str:
    return land_classes()[code].name


def is_restorable_class(code: str) -> bool:
    return code.startswith(RESTORABLE_PREFIXES) or code in RESTORABLE_EXTRA


def ownership(code: str) -> str:
    """QSXZ for a parcel of class `code`."""
    if code in STATE_OWNED:
        return "10"
    if code in STATE_USE:
        return "20"
    return "30"
