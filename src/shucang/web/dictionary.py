"""数据字典: what a column's machine name means, in the reader's words.

Column names stay as stored (``uscc``, ``town``); pages and exports show the dictionary's label next
to them (统一社会信用代码) so a reader never has to guess. Names not listed are shown as they are.
"""

from __future__ import annotations

COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "added_value": ("增加值", "Added value"), "address": ("地址", "Address"),
    "applicant_id_card": ("申请人身份证号", "Applicant ID number"), "applicant_name": ("申请人姓名", "Applicant name"),
    "applicant_phone": ("申请人电话", "Applicant phone"), "applicant_uscc": ("申请单位信用代码", "Applicant USCC"),
    "applicant": ("申请人", "Applicant"), "applied_on": ("申请日期", "Applied on"), "band": ("频段", "Band"),
    "birth_date": ("出生日期", "Birth date"), "caller_name": ("来电人姓名", "Caller name"),
    "caller_phone": ("来电号码", "Caller phone"), "case_no": ("办件编号", "Case number"), "category": ("类别", "Category"),
    "certificate_no": ("证书编号", "Certificate number"), "certified_on": ("认定日期", "Certified on"),
    "channel": ("渠道", "Channel"), "cloud_level": ("上云层级", "Cloud level"), "cloud_on": ("上云日期", "On cloud since"),
    "cloud_platform": ("云平台", "Cloud platform"), "commissioned_on": ("开通日期", "Commissioned on"),
    "company_name": ("企业名称", "Company name"), "content": ("内容", "Content"), "education": ("学历", "Education"),
    "employees": ("从业人数", "Employees"), "entity_type": ("主体类型", "Entity type"),
    "established_on": ("成立日期", "Established on"), "ethnicity": ("民族", "Ethnicity"),
    "expires_on": ("到期日期", "Expires on"), "gender": ("性别", "Gender"), "granted_on": ("授权日期", "Granted on"),
    "handling_department": ("承办部门", "Handling department"), "id_card": ("身份证号", "ID number"),
    "in_service_on": ("投用日期", "In service since"), "industry": ("行业", "Industry"),
    "is_above_scale": ("是否规上", "Above designated size"), "is_agricultural": ("是否农产品", "Agricultural"),
    "is_digital_core": ("是否数字经济核心产业", "Digital-economy core"), "is_one_network": ("是否一网通办", "One-network service"),
    "item_name": ("事项名称", "Service item"), "kind": ("种类", "Kind"), "lapsed_on": ("失效日期", "Lapsed on"),
    "latitude": ("纬度", "Latitude"), "legal_rep_id_card": ("法定代表人身份证号", "Legal representative ID number"),
    "legal_rep": ("法定代表人", "Legal representative"), "level": ("级别", "Level"), "longitude": ("经度", "Longitude"),
    "mobile": ("手机号", "Mobile"), "model": ("型号", "Model"), "month": ("月份", "Month"), "name": ("姓名", "Name"),
    "new_product_output": ("新产品产值", "New-product output"), "online_retail": ("网络零售额", "Online retail"),
    "operator_uscc": ("经营者信用代码", "Operator USCC"), "operator": ("经营者", "Operator"),
    "output_value": ("产值（万元）", "Output (10k yuan)"), "patent_no": ("专利号", "Patent number"),
    "patent_type": ("专利类型", "Patent type"), "patents": ("专利数", "Patents"), "payload_kg": ("负载（千克）", "Payload (kg)"),
    "phone": ("电话", "Phone"), "platform": ("平台", "Platform"), "population": ("人口", "Population"),
    "rd_expense": ("研发费用", "R&D expense"), "received_at": ("受理时间", "Received at"),
    "recognized_on": ("认定日期", "Recognised on"), "registered_capital": ("注册资本", "Registered capital"),
    "registered_on": ("登记日期", "Registered on"), "residence_type": ("户籍类型", "Residence type"),
    "result": ("结果", "Result"), "retail_amount": ("零售额", "Retail amount"), "retired_on": ("退役日期", "Retired on"),
    "revenue": ("营业收入", "Revenue"), "robot_id": ("机器人编号", "Robot ID"), "satisfied": ("是否满意", "Satisfied"),
    "shop_id": ("店铺编号", "Shop ID"), "shop_name": ("店铺名称", "Shop name"), "site_type": ("站址类型", "Site type"),
    "station_id": ("基站编号", "Station ID"), "status": ("状态", "Status"), "submitted_at": ("提交时间", "Submitted at"),
    "ticket_no": ("工单编号", "Ticket number"), "title": ("标题", "Title"), "topic": ("主题", "Topic"),
    "town": ("镇街", "Town"), "uscc": ("统一社会信用代码", "Unified social credit code"), "zone": ("功能区", "Zone"),
    "age": ("年龄", "Age"), "income": ("收入", "Income"),
}
"""Column name → (Chinese label, English label) for the demo datasets' contract (docs/demo-datasets.md)."""


def column_label(name: str, lang: str) -> str:
    """The reader's name of a column; the machine name when the dictionary does not know it."""
    found = COLUMN_LABELS.get(name)
    if not found:
        return name
    return found[0] if lang == "zh" else found[1]


