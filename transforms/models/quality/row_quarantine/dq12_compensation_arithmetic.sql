-- 耕地保护补偿资金 per village and year: 应发 = 永农面积 × 永农标准 + 一般耕地面积 × 一般标准, and what
-- was paid lies between nothing and what was due.
select
    'village' as entity_type, "村代码" as entity_id, left("村代码", 6) as admin_code, _year as year,
    'compensation_payments' as layer, _source_file as source_file, _source_row as source_row,
    _sheet as source_sheet,
    "应发金额" as due_yuan, "实发金额" as paid_yuan,
    round(abs("应发金额" - ("永久基本农田面积" * "永农补偿标准" + "一般耕地面积" * "一般耕地补偿标准")), 2)
        as due_error_yuan,
    round("应发金额" - "实发金额", 2) as unpaid_yuan,
    least("永久基本农田面积", "一般耕地面积", "永农补偿标准", "一般耕地补偿标准", "应发金额", "实发金额")
        as smallest_figure
from {{ source('raw', 'compensation_payments') }}
