"""The planted policy outcomes of the demo, in one place (the data-quality plants are in planting.py).

- PR01 耕地保有量: 秀洲 (330411) ends 2025 about 1.5% below its cultivated-land target, after losing 6% of
  it to construction in 2025; every other county clears its target by ≥ 1% in every year.
- PR02 永久基本农田: 海盐 (330424) holds about 1.5% less 永农 than its target; the others clear theirs.
- PR08 进出平衡: in 嘉善 (330421), 2024, 耕地 → other agricultural land exceeds the way back; every other
  county-year restores clearly more than it loses.
The city rows follow from the county figures and are recorded in the manifest either way.
"""

from __future__ import annotations

PR01_COUNTY = "330411"
PR01_SHORTFALL = 0.985  # 2025 耕地 / target
PR01_EXTRA_LOSS = 0.06  # 2025 耕地 → construction, as a share of the target
PR02_COUNTY = "330424"
PR02_SHORTFALL = 0.985  # Σ JBNTMJ / target
PR08_COUNTY_YEAR = ("330421", 2024)
