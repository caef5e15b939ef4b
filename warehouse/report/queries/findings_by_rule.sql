-- 问题清单: the year's findings on the page's counties (and on the page's own unit, e.g. a city-wide
-- figure), counted per rule, with the clause and the document it comes from.
with findings as (
    select rule_id, count(*) as findings
    from quality.violations
    where year = $year and (admin_code = any($counties) or admin_code = $admin)
    group by rule_id
)

select
    f.rule_id, c.title_zh, c.severity, c.kind, f.findings, c.source_clause,
    d.title as document_title, d.issuer as document_issuer, d.issued_on as document_issued_on
from findings as f
join quality.rule_catalog as c using (rule_id)
left join reference.ref_policy_documents as d on d.source_doc = c.source_doc
order by f.rule_id
