"""Demo deliveries for 嘉兴市 (330400): what a land bureau would hand over, with known violations planted.

    from sources.demo.generate import generate
    manifest = generate(Path("data/landing"), scale=300, seed=20251231)
    # or: python -m sources.demo --landing data/landing --scale 300

Modules, one job each:
    region          county layout (EPSG:4528 rectangles), townships, villages, 2025 targets
    tiling          exact gap-free tiling of a rectangle into parcels
    base            the 2022 地类图斑 (DLTB): classes, codes, attributes
    attributes      the DLTB attributes of a land class (田坎 deduction, 耕地 grade, …)
    change_plan     which parcels the 2023–2025 change surveys touch, and how
    change_records  DLTBGX / DLTBGXGC tables from a plan (exact 2-decimal piece areas)
    replay          state(Y) = state(Y−1) − BGQTBBSM + DLTBGX
    calibrate       lands each county's 耕地 on its designed outcome
    planting        the parcel picker and the order the parcel plants run in; the 非粮 parcels
    control         YJJBNT, YJJBNTCBQ, GBZNT, LSGNQ
    findings        PR09, PR11, PR12, PR13, PR22 evaluated on the generated data (the manifest entries)
    truth, checks   the true figures, and self-checks that only the planted rules fail
    output          writing each layer in its delivery format
    manifest        demo_manifest.json

The planted cases, one function per rule (plant_<rule>_<what>), each docstring starting with its rule:
    parcel_plants   DQ01–DQ06, DQ08 and PR11 on base parcels (DQ05 and PR11 with their 永农 polygon)
    control_plants  PR09, PR12, PR13 in the control layers
    target_plants   PR01, PR02, PR08: the county that misses its target or its balance
    grade_update    PR22: the 耕地质量等别 update that worsens one county's mean grade
"""
