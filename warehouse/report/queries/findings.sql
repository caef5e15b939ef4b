-- Every finding of the year on the page's counties (and on the page's own unit), for the officials'
-- workbook: the rule and its clause, what was found against what was expected, and the delivered
-- file(s) and row(s) behind it (marts.finding_sources).
with findings as (
    select rule_id, severity, admin_code, year, entity_type, entity_id, observed, expected, source_clause
    from quality.violations
    where year = $year and (admin_code = any($counties) or admin_code = $admin)
),

sources as (
    select rule_id, admin_code, entity_type, entity_id,
        string_agg(distinct source_file, '; ' order by source_file) as source_files,
        array_to_string(list_sort(list(distinct source_row)), ', ') as source_rows
    from marts.finding_sources
    where year = $year and source_file is not null
    group by all
)

select
    f.admin_code, r.admin_name, f.rule_id, c.title_zh, f.severity, f.year, f.entity_type, f.entity_id,
    f.observed, f.expected, f.source_clause, d.title as document_title, d.issuer as document_issuer,
    s.source_files, s.source_rows
from findings as f
left join reference.ref_region as r using (admin_code)
join quality.rule_catalog as c using (rule_id)
left join reference.ref_policy_documents as d on d.source_doc = c.source_doc
left join sources as s using (rule_id, admin_code, entity_type, entity_id)
order by f.admin_code, f.rule_id, f.entity_id
