"""The planted policy outcomes of the demo, in one place (the data-quality plants are in planting.py).

- PR01 耕地保有量: 秀洲 (330411) ends 2025 about 1.5% below its cultivated-land target, after losing 6% of
  it to construction in 2025; every other county clears its target by ≥ 1% in every year.
- PR02 永久基本农田: 海盐 (330424) holds about 1.5% less 永农 than its target; the others clear theirs.
- PR08 进出平衡: in 嘉善 (330421), 2024, 耕地 → other agricultural land exceeds the way back; every other
  county-year restores clearly more than it loses.
- PR09 永农 turned into other agricultural land: two change pieces 耕地 → 园地/林地/坑塘, one wholly and
  one about half inside a 永农 polygon (control_plants.py picks them among the planned changes).
- PR11 非粮化: the two 撂荒 (WG) parcels in every year, one 非粮 (FLS) parcel partly under a 永农 polygon
  designated in 2024 (so only 2024 and 2025 break the rule) and one FLS parcel inside a 功能区.
- PR12 多田套合: one 新建 block about 80% inside 永农, one 改造提升 block about 70% inside a 功能区.
- PR13 fragmented 永农: two ~12 亩 polygons 3 m apart (one patch of ~24 亩: no finding) and two 8 m
  apart (two patches of ~12 亩: two findings).
- PR22 quality declining: the 2024 耕地质量等别 update of 平湖 (330482) lowers part of its 耕地 by two
  grades, so its mean 耕地等别 rises by about 0.10; every other county-year improves.
The city rows follow from the county figures and are recorded in the manifest either way.
"""

from __future__ import annotations

PR01_COUNTY = "330411"
PR01_SHORTFALL = 0.985  # 2025 耕地 / target
PR01_EXTRA_LOSS = 0.06  # 2025 耕地 → construction, as a share of the target
PR02_COUNTY = "330424"
PR02_SHORTFALL = 0.985  # Σ JBNTMJ / target
PR08_COUNTY_YEAR = ("330421", 2024)
PR22_COUNTY_YEAR = ("330482", 2024)
PR22_RISE = 0.10  # rise of the mean 耕地等别 planted (the rule's threshold is 0.05)
