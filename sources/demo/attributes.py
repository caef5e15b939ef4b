"""The DLTB attributes a parcel of a given land class carries (vectorised over parcels).

耕地 parcels get the 田坎 deduction (KCDLBM 1203, KCXS, KCMJ = TBMJ × KCXS, TBDLMJ = TBMJ − KCMJ), 耕地等别
GDDB, 坡度级别 GDPDJB and 种植属性 ZZSXDM; built-up classes get 城镇村属性码 CZCSXM; every other parcel
has KCMJ 0 and TBDLMJ = TBMJ. Areas are integer hundredths of m² (see geodesy).
"""

from __future__ import annotations

import numpy as np

from sources.demo.landclasses import CZCSXM_CHOICES, TERRACE, class_name, is_restorable_class, ownership

KCXS_BASE_RANGE = (0.04, 0.10)  # drawn; calibration may later move unchanged parcels within KCXS_LIMITS
KCXS_LIMITS = (0.02, 0.12)
MEAN_KEEP = 1 - sum(KCXS_BASE_RANGE) / 2  # expected TBDLMJ / TBMJ of a 耕地 parcel
GRADES = np.array([4, 5, 6, 7])  # 耕地等别 of 嘉兴 (1 best … 15 worst)
GRADE_P = np.array([0.30, 0.35, 0.25, 0.10])
BEST_GRADE = int(GRADES.min())
SLOPE_CODES = np.array(["1", "2", "5"], dtype=object)  # 坡度级别: a plain, with a few steep outliers
SLOPE_P = np.array([0.80, 0.19, 0.01])
PLANTING_CODES = np.array(["LS", "LYFL", "XG"], dtype=object)  # FLS/WG are placed where they break no rule
PLANTING_P = np.array([0.88, 0.08, 0.04])
RESTORABLE_P = {"JKHF": 0.10, "GCHF": 0.05}

ATTRIBUTE_COLUMNS = (
    "DLMC", "QSXZ", "KCDLBM", "KCXS", "KCMJ_C", "TBDLMJ_C", "GDLX", "GDPDJB", "TBXHDM", "ZZSXDM", "GDDB",
    "CZCSXM",
)  # fmt: skip


def _lookup(codes: np.ndarray, fn) -> np.ndarray:
    unique, inverse = np.unique(codes.astype(str), return_inverse=True)
    return np.array([fn(code) for code in unique], dtype=object)[inverse]


def terrace_split(tbmj_c: np.ndarray, kcxs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(KCMJ, TBDLMJ) in hundredths of m² for KCXS; KCXS NaN means no deduction."""
    kcmj = np.where(np.isnan(kcxs), 0, np.rint(tbmj_c * np.nan_to_num(kcxs))).astype(np.int64)
    return kcmj, tbmj_c - kcmj


def derive_attributes(
    dlbm: np.ndarray,
    tbmj_c: np.ndarray,
    rng: np.random.Generator,
    *,
    restorable: bool = True,
    grade: int | None = None,
) -> dict[str, np.ndarray]:
    """Attributes of parcels of classes `dlbm` and areas `tbmj_c`.

    `restorable` lets some 园地/林地/草地/坑塘 parcels carry JKHF/GCHF; `grade` fixes GDDB (used for
    farmland gained in a change survey) instead of drawing it.
    """
    count = len(dlbm)
    dlbm = dlbm.astype(str)
    cultivated = np.isin(dlbm, ["0101", "0102", "0103"])
    none = np.full(count, None, dtype=object)

    kcxs = np.where(cultivated, np.round(rng.uniform(*KCXS_BASE_RANGE, count), 4), np.nan)
    kcmj, tbdlmj = terrace_split(tbmj_c, kcxs)
    grades = rng.choice(GRADES, count, p=GRADE_P) if grade is None else np.full(count, grade)
    gddb = np.where(cultivated, grades, -1)  # -1 = null, converted when the frame is built
    gdpdjb = np.where(cultivated, rng.choice(SLOPE_CODES, count, p=SLOPE_P), None)
    zzsxdm = np.where(cultivated, rng.choice(PLANTING_CODES, count, p=PLANTING_P), None)
    if restorable:
        draw = rng.random(count)
        can_restore = _lookup(dlbm, is_restorable_class).astype(bool)
        zzsxdm = np.where(can_restore & (draw < RESTORABLE_P["JKHF"]), "JKHF", zzsxdm)
        gchf = (draw >= RESTORABLE_P["JKHF"]) & (draw < RESTORABLE_P["JKHF"] + RESTORABLE_P["GCHF"])
        zzsxdm = np.where(can_restore & gchf, "GCHF", zzsxdm)

    czcs_draw = rng.random(count)
    czcsxm = none.copy()
    for code, choices in CZCSXM_CHOICES.items():
        mask = dlbm == code
        czcsxm[mask] = np.array(choices, dtype=object)[(czcs_draw[mask] * len(choices)).astype(int)]

    return {
        "DLMC": _lookup(dlbm, class_name),
        "QSXZ": _lookup(dlbm, ownership),
        "KCDLBM": np.where(cultivated, TERRACE, None).astype(object),
        "KCXS": kcxs,
        "KCMJ_C": kcmj,
        "TBDLMJ_C": tbdlmj,
        "GDLX": none.copy(),  # flat 嘉兴: no 梯田/坡地
        "GDPDJB": gdpdjb.astype(object),
        "TBXHDM": none.copy(),
        "ZZSXDM": zzsxdm.astype(object),
        "GDDB": gddb.astype(np.int64),
        "CZCSXM": czcsxm,
    }
