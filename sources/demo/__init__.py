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
    calibrate       lands each county's 耕地 on its designed outcome (PR01)
    planting        the planted data-quality violations (DQ01–DQ08) and PR11 parcels
    grade_update    the 耕地质量等别 update that worsens one county's mean grade (PR22)
    control         YJJBNT, YJJBNTCBQ, GBZNT, LSGNQ (PR02 outcome)
    control_plants  the 永农 polygons and 高标准农田 blocks planted for PR09, PR11–PR13 and DQ05
    design          the planted policy outcomes (PR01, PR02, PR08, PR09, PR11–PR13, PR22) in one place
    findings        PR09, PR11, PR12, PR13, PR22 evaluated on the generated data (the manifest entries)
    truth, checks   the true figures, and self-checks that only the planted rules fail
    output          writing each layer in its delivery format
    manifest        demo_manifest.json
"""
