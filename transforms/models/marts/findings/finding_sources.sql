-- Every finding traced to what was delivered (溯源): one row per finding × delivered row behind it, with
-- the delivered file and row, the record's own id and, for spatial rows, the geometry to map it by.
-- A row-level DQ rule's finding names its row itself; a policy finding is traced by its entity to the
-- staging rows with that id; a finding on a county, a date or a target is a figure over many rows and
-- keeps one row saying so (traced_by 'aggregate'), with no file.

with findings as (
    select rule_id, admin_code, year, entity_type, entity_id, detail
    from {{ source('quality', 'violations') }}
),

-- row-level DQ rules (and any rule whose subject is one delivered row): the runner keeps the row
in_detail as (
    select
        f.rule_id, f.admin_code, f.year, f.entity_type, f.entity_id,
        'row named by the finding'                                  as traced_by,
        f.detail ->> 'layer'                                        as source_layer,
        f.detail ->> 'source_file'                                  as source_file,
        try_cast(f.detail ->> 'source_row' as bigint)               as source_row,
        f.detail ->> 'source_sheet'                                 as source_sheet,
        f.entity_id                                                 as record_id
    from findings as f
    where f.detail ->> 'source_file' is not null
),

policy_findings as (
    select * from findings where detail ->> 'source_file' is null
),

-- 地类图斑: the version of the parcel in force at the end of the finding's year
parcels as (
    select
        f.rule_id, f.admin_code, f.year, f.entity_type, f.entity_id,
        'parcel version in force'                                   as traced_by,
        v.source_layer, v.source_file, v.source_row, null           as source_sheet,
        v.bsm                                                       as record_id,
        v.geom
    from policy_findings as f
    join {{ ref('int_survey__parcel_versions') }} as v
        on f.entity_type = 'parcel'
        and v.bsm = f.entity_id
        and (f.year is null or (v.valid_from <= f.year and (v.valid_to is null or f.year < v.valid_to)))
),

-- 变更记录: the change pieces (DLTBGXGC rows) the finding lists
change_pieces as (
    select
        f.rule_id, f.admin_code, f.year, f.entity_type, f.entity_id,
        'change pieces listed by the finding'                       as traced_by,
        'DLTBGXGC'                                                  as source_layer,
        p.source_file, p.source_row, null                           as source_sheet,
        p.piece_id                                                  as record_id,
        p.geom
    from policy_findings as f
    cross join unnest(string_split(f.detail ->> 'pieces', ',')) as listed(piece_id)
    join {{ ref('stg_survey__change_pieces') }} as p on p.piece_id = trim(listed.piece_id)
    where f.entity_type = 'change_record'
),

-- 永久基本农田: one polygon, or every polygon of a patch, as delivered for the finding's year
pbf_polygons as (
    select
        f.rule_id, f.admin_code, f.year, f.entity_type, f.entity_id,
        case f.entity_type when 'pbf_patch' then 'polygons of the patch' else 'polygon' end as traced_by,
        'YJJBNT'                                                    as source_layer,
        c.source_file, c.source_row, null                           as source_sheet,
        cast(c.bsm as varchar)                                      as record_id,
        c.geom
    from policy_findings as f
    cross join unnest(
        string_split(coalesce(f.detail ->> 'polygon_ids', f.entity_id), ',')
    ) as listed(polygon_id)
    join {{ ref('stg_control__permanent_farmland') }} as c
        on cast(c.bsm as varchar) = trim(listed.polygon_id)
        and (f.year is null or c.control_year = f.year)
    where f.entity_type in ('pbf_polygon', 'pbf_patch')
),

-- 高标准农田: the project's blocks as last delivered (each control year delivers every project again)
high_standard_blocks as (
    select
        f.rule_id, f.admin_code, f.year, f.entity_type, f.entity_id,
        'project blocks'                                            as traced_by,
        'GBZNT'                                                     as source_layer,
        h.source_file, h.source_row, null                           as source_sheet,
        h.project_no                                                as record_id,
        h.geom
    from policy_findings as f
    join {{ ref('stg_control__high_standard_farmland') }} as h
        on f.entity_type = 'high_standard_project'
        and h.project_no = f.entity_id
    qualify h.control_year = max(h.control_year) over (partition by f.rule_id, f.entity_id, f.year)
),

-- 建设用地审批 and 补充耕地项目: the record row and its red line / boundary
projects as (
    select
        f.rule_id, f.admin_code, f.year, f.entity_type, f.entity_id,
        'approval record'                                           as traced_by,
        'land_approvals'                                            as source_layer,
        a.source_file, a.source_row, null                           as source_sheet,
        a.approval_no                                               as record_id,
        null::geometry                                              as geom
    from policy_findings as f
    join {{ ref('stg_records__land_approvals') }} as a
        on f.entity_type = 'approval' and a.approval_no = f.entity_id
    union all
    select
        f.rule_id, f.admin_code, f.year, f.entity_type, f.entity_id,
        'approval red line', 'approval_boundaries', b.source_file, b.source_row, null, b.approval_no, b.geom
    from policy_findings as f
    join {{ ref('stg_projects__approval_boundaries') }} as b
        on f.entity_type = 'approval' and b.approval_no = f.entity_id
    union all
    select
        f.rule_id, f.admin_code, f.year, f.entity_type, f.entity_id,
        'project record', 'supplement_projects', s.source_file, s.source_row, null, s.project_no, null::geometry
    from policy_findings as f
    join {{ ref('stg_records__supplement_projects') }} as s
        on f.entity_type = 'supplement_project' and s.project_no = f.entity_id
    union all
    select
        f.rule_id, f.admin_code, f.year, f.entity_type, f.entity_id,
        'project boundary', 'supplement_boundaries', b.source_file, b.source_row, null, b.project_no, b.geom
    from policy_findings as f
    join {{ ref('stg_projects__supplement_boundaries') }} as b
        on f.entity_type = 'supplement_project' and b.project_no = f.entity_id
),

-- records kept by number: cases, consolidation works, quota links, a village's payments of the year
records as (
    select
        f.rule_id, f.admin_code, f.year, f.entity_type, f.entity_id,
        'case record'                                               as traced_by,
        'enforcement_cases'                                         as source_layer,
        e.source_file, e.source_row, null                           as source_sheet,
        e.case_no                                                   as record_id,
        null::geometry                                              as geom
    from policy_findings as f
    join {{ ref('stg_records__enforcement_cases') }} as e
        on f.entity_type = 'enforcement_case' and e.case_no = f.entity_id
    union all
    select
        f.rule_id, f.admin_code, f.year, f.entity_type, f.entity_id,
        'works record', 'consolidation_works', w.source_file, w.source_row, null, w.work_id, null::geometry
    from policy_findings as f
    join {{ ref('stg_records__consolidation_works') }} as w
        on f.entity_type = 'consolidation_work' and w.work_id = f.entity_id
    union all
    select
        f.rule_id, f.admin_code, f.year, f.entity_type, f.entity_id,
        'link record', 'quota_links', q.source_file, q.source_row, null, q.link_no, null::geometry
    from policy_findings as f
    join {{ ref('stg_records__quota_links') }} as q
        on f.entity_type = 'quota_link' and q.link_no = f.entity_id
    union all
    select
        f.rule_id, f.admin_code, f.year, f.entity_type, f.entity_id,
        'payment rows of the year', 'compensation_payments', p.source_file, p.source_row, p.sheet,
        p.village_code, null::geometry
    from policy_findings as f
    join {{ ref('stg_records__compensation_payments') }} as p
        on f.entity_type = 'village' and p.village_code = f.entity_id and p.year = f.year
    -- a village's finding about what it was paid (补偿资金), not one about its field chief
    where f.detail ->> 'amount_paid_yuan' is not null
),

traced as (
    select *, null::geometry as geom from in_detail
    union all by name select * from parcels
    union all by name select * from change_pieces
    union all by name select * from pbf_polygons
    union all by name select * from high_standard_blocks
    union all by name select * from projects
    union all by name select * from records
),

-- a figure over many rows (a county's or the city's total, a county's change reconciled per land class
-- or year (DQ09), a date's balance, a target's pace) or an absence (a village without a field chief):
-- nothing single to point at
untraced as (
    select distinct
        f.rule_id, f.admin_code, f.year, f.entity_type, f.entity_id,
        case
            when f.entity_type in ('county', 'city', 'county_class', 'county_year', 'county_date', 'target')
                then 'aggregate'
            else 'no delivered row: the finding is an absence'
        end                                                         as traced_by
    from findings as f
    anti join traced as t
        on t.rule_id = f.rule_id and t.entity_type = f.entity_type and t.entity_id = f.entity_id
        and t.year is not distinct from f.year
)

select
    rule_id, admin_code, year, entity_type, entity_id, traced_by, source_layer, source_file, source_row,
    source_sheet, record_id, geom
from traced
union all by name
select rule_id, admin_code, year, entity_type, entity_id, traced_by from untraced
