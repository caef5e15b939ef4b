"""The demo's tabular deliveries (SOURCES.md §2–§4) for 嘉兴, generated from its survey so they agree with it.

    from sources.demo.records import build_records, write_records
    records = build_records(demo, seed)          # demo = sources.demo.generate.build(...)
    write_records(landing, records)              # generate(..., records=True) does both

Every file uses the exact headers and file-name patterns of `sources.records`, so `load_records` takes
every row in; the planted violations are rows that load but break a rule, listed in the manifest under
`records.planted` (same entry format as `planted`).

Modules, one job each:
    survey      read-only facts from the survey: change pieces by kind, untouched parcels, village 耕地/永农
    quota       supplement projects, approvals + red lines, 挂钩 links, 指标调剂 trades (PR03–PR06, PR14,
                PR15, PR23, DQ07, DQ10, DQ13)
    ledger      the county quota ledger PR15 reads
    fees        耕地开垦费 standards and payments (PR07)
    cases       违法用地案件 (DQ10) and the 田长名册 (PR21)
    funds       耕地保护补偿 workbooks (DQ12, PR18) and 新增耕地管护 (PR16, DQ13)
    supply      土地供应统计 workbooks (PR20)
    works       土地综合整治工程 and monthly progress (DQ11, PR19)
    params      rule thresholds from the catalog, the grade → capacity seed
    people      fake names, phone numbers, companies
    delivery, xlsx, model   how files are written
    build       assembly, self-checks, writing
"""

from sources.demo.records.build import Records, build_records, write_records

__all__ = ["Records", "build_records", "write_records"]
