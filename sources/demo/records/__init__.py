"""The demo's tabular deliveries (SOURCES.md §2–§4) for 嘉兴, generated from its survey so they agree with it.

    from sources.demo.records import build_records, write_records
    records = build_records(demo, seed)          # demo = sources.demo.generate.build(...)
    write_records(landing, records)              # generate(..., records=True) does both

Every file uses the exact headers and file-name patterns of `sources.records`, so `load_records` takes
every row in; the planted violations are rows that load but break a rule, listed in the manifest under
`records.planted` (same entry format as `planted`).

Modules, one job each:
    survey      read-only facts from the survey: change pieces by kind, untouched parcels, village 耕地/永农
    quota_model             the 占补平衡 records in memory and the quota book links and trades draw from
    approvals_and_projects  the approvals and supplement projects every survey piece implies
    quota                   assembly of the quota records: roles, links in date order, trades
    quota_plants            the PR15, DQ10 (project), PR14 and DQ13 (link) plants, one function each
    quota_files             the quota CSVs and boundary layers as delivered (DQ07 duplicates written in)
    planted_entries         manifest entries of the quota and ground plants
    self_checks             only the planted records break the quota rules; the case lifecycle
    record_truth            the `records.truth` section of the manifest
    ledger      the county quota ledger PR15 reads
    fees        耕地开垦费 standards and payments (PR07)
    cases       违法用地案件 (DQ10) and the 田长名册 (PR21)
    case_plants             the PR18 plant
    roster_plants           the PR21 plant
    funds       耕地保护补偿 workbooks (DQ12, PR18) and 新增耕地管护 (PR16, DQ13)
    fund_plants             the DQ12 and PR16 plants, one function each
    supply      土地供应统计 workbooks
    supply_plants           the PR20 plant
    works       土地综合整治工程 and monthly progress: the layout and the files
    works_model             a work, its months, the city targets and progress toward them
    works_plants            the DQ11 and PR19 plants, one function each
    params      rule thresholds from the catalog, the grade → capacity seed
    people      fake names, phone numbers, companies
    delivery, xlsx, model   how files are written
    build       assembly and writing
"""

from sources.demo.records.build import Records, build_records, write_records

__all__ = ["Records", "build_records", "write_records"]
