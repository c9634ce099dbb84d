"""What column names and cell values mean: the vocabulary behind classification.

Two halves. **Names**: the words departments use in headers — Chinese (身份证号码), pinyin initials
(sfzh, lxrsj, tyshxydm), full pinyin (shenfenzhenghao) and English (id_card) — each mapped to a
*concept*: a type code, ``"null"`` (an attribute that is not sensitive: dates, states, kinds, org
units), or ``"mod"`` (a modifier such as 法定代表人 in 法定代表人身份证号). A header is read like a
Chinese noun phrase: the concept that ends last is its head. **Values**: dictionaries of surnames,
the 56 ethnic groups, marital/political/education status (text and GB/T code values), religions,
health and criminal-justice words, and place words for addresses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from shucang.classify.initials import initials_of

# ----------------------------------------------------------------------------------------------
# Names
# ----------------------------------------------------------------------------------------------

NULL = "null"
MOD = "mod"
TEXT = "text"  # free-text columns (备注, 内容): decided by their values
COMPANY_CTX = "company_ctx"  # 单位/名称 words: a company name if the values are company names

# concept → Chinese keywords. Longest match wins at the same end position.
_ZH: dict[str, tuple[str, ...]] = {
    "person_name": ("姓名", "名字", "曾用名", "别名", "联系人", "负责人", "户主", "所有人", "车主", "店主",
                    "诉求人", "来电人", "申请人", "申报人", "经办人", "办税人", "收件人", "监护人", "父亲",
                    "母亲", "配偶", "医生", "医师", "教师", "患者", "病人", "学生", "职工", "员工", "人员姓名", "用户姓名",
                    "用户名称", "客户名称", "房东", "业主", "承租人", "出租人", "当事人", "被申请人", "持卡人",
                    "户名", "账户名", "开户名", "签收人", "填报人", "审核人", "操作员", "投诉人", "举报人"),
    "legal_representative": ("法定代表人", "法人代表", "法人姓名", "法人", "法定代表", "负责人（法人）"),
    "id_card": ("身份证号码", "身份证号", "身份证", "公民身份号码", "证件号码", "证件号", "身份证明号码",
                "社会保障号码", "社会保障号", "证照号码", "居民身份证", "身份号码", "证件编号", "居住证号"),
    "passport": ("护照号码", "护照号", "护照"),
    "travel_permit": ("通行证号码", "通行证号", "通行证", "回乡证", "台胞证", "往来港澳", "往来台湾"),
    "social_security_no": ("社保卡号", "社保号", "医保卡号", "医保号", "社会保障卡号", "个人编号", "参保号",
                           "参保编号", "医保编号", "社保编号", "个人社保号", "市民卡号", "就诊卡号"),
    "mobile_phone": ("手机号码", "手机号", "手机", "移动电话", "来电号码", "主叫号码", "联系方式", "电话号码",
                     "联系电话", "电话", "联系号码", "号码"),
    "landline_phone": ("固定电话", "固话", "座机", "办公电话", "单位电话", "传真"),
    "email": ("电子邮箱", "电子邮件", "邮箱", "email", "e-mail"),
    "address": ("地址", "住址", "住所", "居住地", "户籍地", "所在地", "建设地点", "地点", "详细地址", "门牌",
                "暂住地", "现住址", "通讯地址", "通信地址", "经营场所", "住所地", "出生地", "籍贯地址"),
    "postal_code": ("邮政编码", "邮编"),
    "birth_date": ("出生日期", "出生年月", "出生年月日", "生日", "出生时间", "出生"),
    "age": ("年龄", "周岁", "岁数"),
    "gender": ("性别",),
    "ethnicity": ("民族", "族别"),
    "marital_status": ("婚姻状况", "婚姻状态", "婚姻", "婚否"),
    "political_status": ("政治面貌", "党派", "党员类别", "党籍"),
    "education_level": ("学历", "文化程度", "受教育程度", "学位", "最高学历", "文化水平"),
    "religion": ("宗教信仰", "宗教", "信仰"),
    "bank_card": ("银行卡号", "银行卡", "卡号", "借记卡", "信用卡号", "社保卡银行账号"),
    "bank_account": ("银行账号", "账号", "帐号", "基本户", "对公账户", "银行账户", "账户", "帐户", "结算账户",
                     "开户账号", "收款账号", "付款账号"),
    "income": ("工资", "薪资", "薪酬", "薪水", "收入", "缴费基数", "基数", "应发", "实发", "年薪", "月薪",
               "奖金", "绩效", "期望薪资", "家庭收入", "人均收入", "养老金", "退休金", "津贴", "社保基数", "奖", "报酬",
               "酬金", "提成", "佣金", "退休费", "离休费", "税前"),
    "revenue": ("营业收入", "营收", "销售额", "销售收入", "产值", "利润", "营业额", "主营业务收入", "净利润",
                "工业总产值", "增加值", "经营收入", "成交额", "交易额"),
    "tax_amount": ("税额", "纳税额", "应纳税", "已缴税", "所得税", "税款", "缴税", "减免税", "退税", "税金",
                   "入库税", "税收", "个税"),
    "medical_info": ("诊断编码", "诊断名称", "诊断代码", "疾病编码", "疾病名称", "疾病代码", "诊断", "病历", "病史", "病情", "疾病", "病名", "健康状况", "健康", "残疾", "主诉",
                     "症状", "过敏", "体检", "疫苗", "接种", "用药", "手术", "icd", "既往史", "检查结果",
                     "伤残", "传染病", "慢性病", "检验", "处方", "医嘱", "孕", "护理等级", "失能", "照护"),
    "criminal_record": ("罪名", "刑罚", "判处", "刑期", "犯罪", "违法", "前科", "矫正类别", "服刑", "判决",
                        "案由", "违法行为", "处罚决定", "吸毒", "涉案"),
    "credential": ("密码", "口令", "密钥", "令牌", "秘钥", "私钥", "验证码", "token"),
    "gps_coordinate": ("经纬度", "坐标", "经度", "纬度", "定位", "gps", "轨迹"),
    "license_plate": ("车牌号码", "车牌号", "车牌", "号牌号码", "号牌", "车号"),
    "vin": ("车辆识别代号", "车辆识别码", "车架号", "vin"),
    "ip_address": ("ip地址", "ip", "登录ip"),
    "mac_address": ("mac地址", "mac", "物理地址"),
    "imei": ("imei", "设备识别码", "终端识别码", "串号", "meid"),
    "uscc": ("统一社会信用代码", "社会信用代码", "信用代码", "纳税人识别号", "税号", "统一代码"),
    "org_code": ("组织机构代码", "机构代码"),
    "business_reg_no": ("注册号", "工商注册号", "营业执照号", "营业执照注册号"),
    COMPANY_CTX: ("单位名称", "单位", "建设单位", "施工单位", "监理单位", "企业名称", "企业", "公司名称", "公司", "纳税人名称", "经营主体", "主体名称",
                  "工作单位", "厂商", "厂家", "供应商", "名称", "机构名称", "服务商", "承包商", "商户名称", "客户单位",
                  "投保单位", "用人单位", "雇主"),
    TEXT: ("内容", "备注", "描述", "说明", "情况", "意见", "摘要", "详情", "诉求", "事由", "留言", "反映", "记录"),
    NULL: ("日期", "时间", "年月", "月份", "年度", "期限", "有效期", "状态", "类型", "类别", "种类", "颜色", "等级",
           "级别", "编号", "流水号", "序号", "代码", "编码", "关系", "金额", "费用", "费", "面积", "数量", "人数", "时长",
           "税率", "税种", "注册资本", "资本", "投资", "评分", "网址", "平台", "品牌", "型号", "方式", "通道", "名称",
           "镇街", "街道", "乡镇", "所属村", "所在村", "社区", "村", "派出所", "司法所", "税务所", "登记机关", "登记单位",
           "承办单位", "机关", "部门", "岗位", "职务", "职业", "专业", "学校", "年级", "班级", "学号", "工号", "户号",
           "房间号", "账户类型", "开户银行", "开户行", "银行", "店铺名称", "店铺", "停车场", "项目名称", "险种", "营业厅",
           "套餐", "发动机号", "补贴", "对象", "结果", "满意度", "点位", "项目代码", "许可证", "车辆品牌", "经营范围", "行业",
           "分数", "成绩", "比例", "率", "次数", "指标", "期", "至", "起", "止", "版本", "校验", "摘要", "指纹", "文件",
           "附件", "工龄", "司龄", "教龄", "党龄", "驾龄", "年限", "病区", "科室", "合计", "总额", "总计", "小计", "数额",
           "分类", "程度", "状况", "级别"),
}

# Pinyin initials → concept (segments of compact headers such as ``fddbrsfzh`` = fddbr + sfzh).
_INITIALS: dict[str, str] = {
    "xm": "person_name", "xingm": "person_name", "cym": "person_name", "lxr": "person_name", "fzr": "person_name", "hzxm": "person_name", "czxm": "person_name", "yhm": NULL, "sqr": "person_name",
    "jbr": "person_name", "jhr": "person_name", "fqxm": "person_name", "mqxm": "person_name",
    "fddbr": "legal_representative", "fr": "legal_representative", "frdb": "legal_representative",
    "frxm": "legal_representative",
    "sfzh": "id_card", "sfz": "id_card", "sfzhm": "id_card", "zjhm": "id_card", "zjh": "id_card", "gmsfhm": "id_card",
    "shbzhm": "id_card", "sfhm": "id_card",
    "hzhm": "passport", "hzh": "passport", "txzh": "travel_permit", "txzhm": "travel_permit",
    "sbkh": "social_security_no", "ybkh": "social_security_no", "grbh": "social_security_no",
    "sbh": "social_security_no", "cbh": "social_security_no",
    "sjhm": "mobile_phone", "sjh": "mobile_phone", "sj": "mobile_phone", "lxdh": "mobile_phone", "dh": "mobile_phone",
    "dhhm": "mobile_phone", "lxfs": "mobile_phone", "yddh": "mobile_phone", "ldhm": "mobile_phone",
    "gddh": "landline_phone", "bgdh": "landline_phone", "cz": "landline_phone",
    "yx": "email", "dzyx": "email",
    "dz": "address", "zz": "address", "zs": "address", "hjdz": "address", "jtzz": "address", "xzz": "address",
    "jzdz": "address", "zzdz": "address", "txdz": "address", "jydz": "address", "hjd": "address",
    "yzbm": "postal_code", "yb": "postal_code",
    "csrq": "birth_date", "csny": "birth_date",
    "nl": "age", "xb": "gender", "mz": "ethnicity", "hyzk": "marital_status",
    "zzmm": "political_status", "whcd": "education_level", "xl": "education_level", "xw": "education_level",
    "zjxy": "religion",
    "yhkh": "bank_card", "yhzh": "bank_account", "zh": "bank_account",
    "jbhzh": "bank_account", "jbh": MOD, "dgzh": "bank_account",
    "gz": "income", "jbgz": "income", "jxgz": "income", "yfgz": "income", "sfgz": "income", "jfjs": "income",
    "jnjs": "income", "sbjs": "income", "grsr": "income", "jtsr": "income", "xc": "income",
    "yysr": "revenue", "xse": "revenue", "yye": "revenue", "zcz": "revenue",
    "se": "tax_amount", "nse": "tax_amount", "ynse": "tax_amount", "yjse": "tax_amount", "jmse": "tax_amount",
    "grsds": "tax_amount", "zdmc": "medical_info", "zdbm": "medical_info", "jkzk": "medical_info", "cjlb": "medical_info",
    "zm": "criminal_record", "jzlb": "criminal_record",
    "mm": "credential", "jwd": "gps_coordinate",
    "cph": "license_plate", "cphm": "license_plate", "hphm": "license_plate", "hp": "license_plate",
    "clsbdh": "vin", "cjh": "vin",
    "tyshxydm": "uscc", "shxydm": "uscc", "xydm": "uscc", "nsrsbh": "uscc", "tydm": "uscc",
    "zzjgdm": "org_code", "jgdm": "org_code", "zch": "business_reg_no", "yyzzh": "business_reg_no",
    "qymc": COMPANY_CTX, "dwmc": COMPANY_CTX, "gzdw": COMPANY_CTX, "nsrmc": COMPANY_CTX, "qy": COMPANY_CTX,
    "dw": COMPANY_CTX,
    # not sensitive
    "rq": NULL, "djsj": NULL, "djrq": NULL, "clrq": NULL, "rdrq": NULL, "zzrq": NULL, "yxq": NULL,
    "yxqz": NULL, "yxqx": NULL, "zt": NULL, "djzt": NULL, "ryzt": NULL, "lx": NULL, "qylx": NULL, "lb": NULL,
    "rylb": NULL, "bh": NULL, "dm": NULL, "hh": NULL, "gx": NULL, "yhzgx": NULL, "ssjz": NULL, "sscs": NULL,
    "jz": NULL, "sq": NULL, "zczb": NULL, "szdzb": NULL, "dzb": NULL, "gzgw": NULL, "gw": NULL,
    "zw": NULL, "bm": NULL, "je": NULL, "fy": NULL, "mc": NULL, "id": NULL, "xh": NULL, "ny": NULL,
    "rzsj": NULL, "lksj": NULL, "cjsj": NULL, "gxsj": NULL, "nd": NULL, "df": MOD,
    "zy": NULL, "hk": NULL, "bz": TEXT, "nr": TEXT, "ms": TEXT,
}

# Full pinyin fragments (searched as substrings).
_PINYIN: dict[str, str] = {
    "xingming": "person_name", "mingzi": "person_name", "lianxiren": "person_name", "fuzeren": "person_name",
    "fadingdaibiaoren": "legal_representative", "faren": "legal_representative",
    "shenfenzheng": "id_card", "zhengjianhaoma": "id_card", "zhengjianhao": "id_card", "shenfenhao": "id_card",
    "huzhao": "passport", "tongxingzheng": "travel_permit", "shebaoka": "social_security_no",
    "shouji": "mobile_phone", "dianhua": "mobile_phone", "lianxifangshi": "mobile_phone",
    "guding": "landline_phone", "youxiang": "email", "zhuzhi": "address", "dizhi": "address",
    "zhusuo": "address", "youbian": "postal_code", "youzhengbianma": "postal_code", "chusheng": "birth_date",
    "shengri": "birth_date", "nianling": "age", "xingbie": "gender", "minzu": "ethnicity", "hunyin": "marital_status",
    "zhengzhimianmao": "political_status", "xueli": "education_level", "wenhuachengdu": "education_level",
    "zongjiao": "religion", "yinhangka": "bank_card", "zhanghao": "bank_account", "gongzi": "income",
    "shouru": "income", "xinzi": "income", "yingyeshouru": "revenue", "xiaoshoue": "revenue", "shuie": "tax_amount",
    "nashui": "tax_amount", "zhenduan": "medical_info", "jiankang": "medical_info", "zuiming": "criminal_record",
    "mima": "credential", "jingweidu": "gps_coordinate", "jingdu": "gps_coordinate", "weidu": "gps_coordinate",
    "zuobiao": "gps_coordinate", "imei": "imei", "chepai": "license_plate", "haopai": "license_plate", "chejiahao": "vin",
    "xinyongdaima": "uscc", "jigoudaima": "org_code", "zhucehao": "business_reg_no", "qiyemingcheng": COMPANY_CTX,
    "danwei": COMPANY_CTX, "riqi": NULL, "shijian": NULL, "zhuangtai": NULL, "leixing": NULL, "bianhao": NULL,
    "pinpai": NULL, "yingyeting": NULL, "taocan": NULL, "mingcheng": NULL, "beizhu": TEXT, "neirong": TEXT,
}

# English (searched on token boundaries of ``_a_b_c_``).
_EN: dict[str, tuple[str, ...]] = {
    "person_name": ("name", "real_name", "full_name", "person_name", "realname", "fullname", "contact",
                    "contact_name", "owner", "owner_name", "applicant", "patient", "patient_name", "doctor",
                    "first_name", "last_name", "surname", "given_name", "customer_name", "user_real_name",
                    "father", "mother", "guardian", "student_name", "emp_name", "employee_name", "xm"),
    "legal_representative": ("legal_rep", "legal_person", "legal_representative", "legalrep", "corporate_rep"),
    "id_card": ("id_card", "idcard", "id_no", "id_number", "idno", "identity", "identity_no", "citizen_id",
                "national_id", "cert_no", "certificate_no", "resident_id", "idcard_no", "id_card_no", "sfzh"),
    "passport": ("passport", "passport_no"),
    "travel_permit": ("permit_no", "travel_permit", "hk_permit", "tw_permit"),
    "social_security_no": ("ssn", "social_security", "insurance_no", "si_card", "medicare_no", "social_card",
                           "social_security_card"),
    "mobile_phone": ("mobile", "phone", "cellphone", "cell", "tel", "telephone", "phone_no", "mobile_no", "msisdn",
                     "contact_phone", "phone_number"),
    "landline_phone": ("landline", "fax", "office_phone", "office_tel"),
    "email": ("email", "e_mail", "mail", "email_address"),
    "address": ("address", "addr", "home_address", "street", "residence", "home_addr", "location_address"),
    "postal_code": ("postcode", "post_code", "zip", "zipcode", "zip_code", "postal_code", "postalcode"),
    "birth_date": ("birth", "birthday", "dob", "birth_date", "birth_month", "birthdate", "date_of_birth", "born"),
    "age": ("age",),
    "gender": ("sex", "gender"),
    "ethnicity": ("ethnicity", "ethnic", "nation", "nationality_ethnic", "race"),
    "marital_status": ("marital", "marital_status", "marriage"),
    "political_status": ("political", "political_status", "party", "party_member", "politics"),
    "education_level": ("education", "edu", "degree", "edu_level", "education_level", "diploma"),
    "religion": ("religion", "faith"),
    "bank_card": ("bank_card", "card_no", "card_number", "bankcard", "debit_card", "credit_card"),
    "bank_account": ("account_no", "bank_account", "acct", "acct_no", "account_number", "iban"),
    "income": ("salary", "wage", "wages", "income", "pay", "expected_salary", "base_salary", "bonus", "payroll",
               "commission", "allowance", "pension", "remuneration"),
    "revenue": ("revenue", "sales", "turnover", "profit", "output_value", "gmv"),
    "tax_amount": ("tax", "tax_amount", "tax_paid", "tax_due", "income_tax"),
    "medical_info": ("diagnosis", "disease", "icd", "icd10", "symptom", "health", "medical", "allergy",
                     "chief_complaint", "illness", "disability", "vaccine", "care", "nursing"),
    "criminal_record": ("crime", "criminal", "offence", "offense", "sentence", "conviction", "charge"),
    "credential": ("password", "pwd", "passwd", "secret", "token", "api_key", "private_key", "credential",
                   "pwd_md5", "password_hash", "pass_hash", "salt", "access_key", "secret_key"),
    "gps_coordinate": ("lat", "lng", "lon", "latitude", "longitude", "coord", "coords", "coordinate", "gps",
                       "geo", "location", "lnglat", "latlng"),
    "license_plate": ("plate", "plate_no", "license_plate", "plate_number", "car_no", "vehicle_no"),
    "vin": ("vin", "vin_code", "chassis_no", "frame_no"),
    "ip_address": ("ip", "ip_address", "ip_addr", "ipaddr", "client_ip", "last_ip", "assigned_ip", "src_ip",
                   "login_ip"),
    "mac_address": ("mac", "mac_address", "mac_addr", "terminal_mac", "ap_mac", "bssid"),
    "imei": ("imei", "meid", "device_imei"),
    "uscc": ("uscc", "credit_code", "social_credit_code", "unified_code", "tax_id", "taxpayer_id"),
    "org_code": ("org_code", "organization_code", "organisation_code"),
    "business_reg_no": ("reg_no", "registration_no", "business_license_no", "license_no"),
    COMPANY_CTX: ("company", "company_name", "enterprise", "employer", "org_name", "corp", "corp_name", "vendor",
                  "manufacturer", "organization", "organisation", "unit_name", "work_unit"),
    TEXT: ("content", "remark", "remarks", "memo", "comment", "comments", "description", "desc", "note", "notes",
           "message", "detail", "details", "text", "body"),
    NULL: ("time", "date", "at", "updated_at", "created_at", "status", "type", "role", "id", "op_id", "no", "code",
           "login_name", "username", "user_name", "account_name", "login", "nickname", "school", "major", "position",
           "ssid", "os", "device_os", "minutes", "mb", "count", "amount", "fee", "price", "rate", "score", "url",
           "level", "grade", "class", "dept", "department", "title", "category", "brand", "model", "shop_name",
           "ap_name", "apply_time", "auth_time", "review_status", "seq", "index", "flag", "month", "year",
           "valid_until", "expiry", "expire", "expires", "session", "traffic", "duration", "qty", "quantity",
           "version", "ver", "checksum", "digest", "fingerprint", "file", "firmware", "seniority", "tenure",
           "service_years", "years_of_service", "ward"),
}


@dataclass(frozen=True)
class NameEvidence:
    """What a header says: its head concept and every concept found in it."""

    head: str | None
    concepts: tuple[str, ...]
    via: str  # "zh" | "en" | "pinyin" | "initials" | "initials?" (after an unknown leading syllable) | ""

    @property
    def type(self) -> str | None:
        """The type code the header points at (None for NULL/TEXT/MOD/unknown)."""
        if self.head in (None, NULL, MOD, TEXT, COMPANY_CTX):
            return None
        if self.head == "person_name" and "legal_representative" in self.concepts:
            return "legal_representative"
        return self.head

    def says(self, concept: str) -> bool:
        return self.head == concept or (concept == "legal_representative" and concept in self.concepts
                                        and self.head in ("person_name", "legal_representative"))


_BRACKETS = re.compile(r"[（(\[【][^）)\]】]*[）)\]】]")


def _head(matches: list[tuple[int, int, str]]) -> tuple[str | None, tuple[str, ...]]:
    """matches: (end, length, concept). Head = the last-ending non-modifier match, longest first."""
    if not matches:
        return None, ()
    concepts = tuple(c for _, _, c in sorted(matches))
    heads = [m for m in matches if m[2] != MOD]
    if not heads:
        return None, concepts
    best = max(heads, key=lambda m: (m[0], m[1]))
    return best[2], concepts


@lru_cache(maxsize=1)
def _zh_index() -> list[tuple[str, str]]:
    pairs = [(kw.lower(), concept) for concept, kws in _ZH.items() for kw in kws]
    return sorted(pairs, key=lambda p: -len(p[0]))


def _zh_matches(text: str) -> list[tuple[int, int, str]]:
    """Keyword matches (end, length, concept); a keyword inside a longer match is skipped."""
    out: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for kw, concept in _zh_index():  # longest first
        start = text.find(kw)
        while start >= 0:
            end = start + len(kw)
            if not any(s <= start and end <= e for s, e in taken):
                out.append((end, len(kw), concept))
                taken.append((start, end))
            start = text.find(kw, start + 1)
    return out


# "X名称"/"X编码" is the name or code *of X*: it inherits X's concept (诊断编码 → medical_info); "X等级" is the
# grade of X (残疾等级), "X合计" the sum of X (应发合计) — for the kinds of type such a tail can belong to.
GRADED = frozenset({"medical_info", "criminal_record", "education_level", "marital_status", "political_status",
                    "religion", "ethnicity", "gender"})
AMOUNTS = frozenset({"income", "revenue", "tax_amount"})
_ANY = frozenset({"*"})
TAILS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("名称", "编码", "代码", "代号"), _ANY),
    **dict.fromkeys(("等级", "级别", "类别", "类型", "程度", "状况", "情况", "分类", "结果"), GRADED),
    **dict.fromkeys(("金额", "合计", "总额", "总计", "小计", "数额"), AMOUNTS),
}
EN_TAILS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("name", "code", "cd", "dm"), _ANY),
    **dict.fromkeys(("grade", "level", "type", "category", "class", "status"), GRADED),
    **dict.fromkeys(("amount", "amt", "total", "sum"), AMOUNTS),
}
GENERIC_TAILS = tuple(TAILS)


def _inherit(tail_types: frozenset[str], before: list[tuple[int, int, str]]) -> str | None:
    """The concept a generic tail inherits: the last-ending typed concept before it that the tail allows."""
    ok = [m for m in before if m[2] not in (NULL, TEXT, MOD, COMPANY_CTX) and (tail_types is _ANY or m[2] in tail_types)]
    return max(ok, key=lambda m: (m[0], m[1]))[2] if ok else None


AMBIGUOUS = "?"


@lru_cache(maxsize=1)
def _derived_initials() -> dict[str, frozenset[str]]:
    derived: dict[str, set[str]] = {}
    for concept, words in _ZH.items():
        for w in words:
            if len(w) >= 2 and all("\u4e00" <= ch <= "\u9fff" for ch in w):
                for spelling in initials_of(w, limit=32):
                    derived.setdefault(spelling, set()).add(concept)
    return {k: frozenset(v) for k, v in derived.items()}


@lru_cache(maxsize=1)
def initials_index() -> dict[str, str]:
    """Pinyin initials → concept: the hand-made list, plus the initials of every Chinese keyword.

    A derived spelling that two concepts share (残疾 and 成绩 are both ``cj``) is :data:`AMBIGUOUS`:
    a word of the header whose meaning only a generic tail can settle (``cjdj`` 残疾等级 — a grade
    belongs to health data, not to a score); the hand-made entries always win.
    """
    derived = _derived_initials()
    out = {k: (next(iter(v)) if len(v) == 1 else AMBIGUOUS) for k, v in derived.items() if len(k) >= 2}
    for tail in TAILS:  # generic tails (等级 dj, 合计 hj) read as such, whatever else shares the spelling
        for spelling in initials_of(tail):
            out.setdefault(spelling, NULL) if spelling in _INITIALS else out.__setitem__(spelling, NULL)
    out.update(_INITIALS)
    return out


@lru_cache(maxsize=1)
def _initial_tails() -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for tail, kinds in TAILS.items():
        for spelling in initials_of(tail):
            out.setdefault(spelling, kinds)
    return out


def _segment_initials(token: str) -> list[str] | None:
    """Split ``token`` into known pinyin-initial words, preferring fewer (longer) segments."""
    n = len(token)
    initials = initials_index()
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(1, n + 1):
        for j in range(max(0, i - 8), i):
            prev = best[j]
            word = token[j:i]
            if prev is not None and word in initials:
                cand = [*prev, word]
                if best[i] is None or len(cand) < len(best[i]):  # type: ignore[arg-type]
                    best[i] = cand
    return best[n]


# database-naming abbreviations read as the word they stand for (ID_NUM, CORP_NM, TAX_AMT, GENDER_CD)
_EN_SYNONYMS = {"num": "no", "number": "no", "nbr": "no", "nr": "no", "nm": "name", "cd": "code", "amt": "amount",
                "dt": "date", "txt": "text"}


def _tokens(header: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", header)
    return [_EN_SYNONYMS.get(t, t) for t in re.split(r"[^0-9a-zA-Z]+", spaced.lower()) if t]


@lru_cache(maxsize=1)
def _en_index() -> list[tuple[str, str]]:
    return [("_" + "_".join(_tokens(p)) + "_", concept) for concept, phrases in _EN.items() for p in phrases]


@lru_cache(maxsize=4096)
def read_name(header: str) -> NameEvidence:
    """The concepts in a column header (cached: headers repeat across tables)."""
    raw = _BRACKETS.sub("", header or "").strip() or (header or "").strip()
    if not raw:
        return NameEvidence(None, (), "")
    low = raw.lower()
    if re.search(r"[\u4e00-\u9fff]", raw):
        zh = _zh_matches(low)
        head, concepts = _head(zh)
        tail = next((t for t in TAILS if low.endswith(t)), None)
        if head in (NULL, COMPANY_CTX) and tail:
            head = _inherit(TAILS[tail], [m for m in zh if m[0] <= len(low) - len(tail)]) or head
        if head is not None:
            return NameEvidence(head, concepts, "zh")
    tokens = _tokens(raw)
    if not tokens:
        return NameEvidence(None, (), "")
    joined = "_" + "_".join(tokens) + "_"
    matches: list[tuple[int, int, str]] = []
    for key, concept in _en_index():
        start = joined.find(key)
        while start >= 0:
            matches.append((start + len(key), len(key), concept))
            start = joined.find(key, start + 1)
    if matches:
        # a phrase swallows its words: drop matches lying inside a longer one that ends at the same place
        head, concepts = _head(matches)
        if head in (NULL, None) and tokens[-1] in EN_TAILS and len(tokens) > 1:
            cut = len(joined) - len(tokens[-1]) - 1
            head = _inherit(EN_TAILS[tokens[-1]], [m for m in matches if m[0] <= cut]) or head
        first_is_english = any(m[0] - m[1] == 0 for m in matches)
        if head in (NULL, None) and len(tokens) > 1 and tokens[0].isalpha() and not first_is_english:
            # an abbreviation with an English suffix (SBKH_NO, MZ_DM): the abbreviation names the column
            first = _read_ascii_word(tokens[0], [tokens[0]])
            if first.type and first.via in ("initials", "pinyin"):
                return first
        return NameEvidence(head, concepts, "en")
    return _read_ascii_word("".join(tokens), tokens)


def _read_ascii_word(word: str, tokens: list[str]) -> NameEvidence:
    """A header in full pinyin (shenfenzheng) or pinyin initials (sfzh, jzdz)."""
    if word.isalpha():
        pin = [(low_end, len(k), c) for k, c in _PINYIN.items() for low_end in _ends(word, k)]
        if pin:
            head, concepts = _head(pin)
            return NameEvidence(head, concepts, "pinyin")
        # X号 (bbh 版本号): the number of X is read as X
        cands = (word, tokens[-1], word[1:], word[2:], word[3:], *((word[:-1],) if word.endswith("h") else ()))
        for tok in cands:
            seg = _segment_initials(tok) if len(tok) >= 2 else None
            if seg and tok in (word[1:], word[2:], word[3:]) and initials_index()[seg[-1]] in (NULL, MOD, TEXT):
                continue  # an unknown leading syllable (sz·nl 实足年龄) only before a word that names a type
            if seg:
                return _read_initials(seg, "initials" if tok in (word, tokens[-1]) else "initials?")
    return NameEvidence(None, (), "")


def _read_initials(seg: list[str], via: str) -> NameEvidence:
    index = initials_index()
    concepts_l = [index[s] for s in seg]
    heads = [c for c in concepts_l if c != MOD]
    head: str | None = heads[-1] if heads else None
    tails = _initial_tails()
    if head == NULL and len(seg) > 1 and seg[-1] in tails:
        # trailing tails narrow each other: cj·dj·dm (残疾等级代码) is the code of a grade
        k = len(seg)
        allowed: frozenset[str] = _ANY
        while k > 1 and seg[k - 1] in tails and concepts_l[k - 1] == NULL:
            kinds = tails[seg[k - 1]]
            allowed = kinds if allowed is _ANY else (allowed if kinds is _ANY else allowed & kinds)
            k -= 1
        ambiguous = _derived_initials()
        before = [(i + 1, len(s), c) for i, (s, cs) in enumerate(zip(seg[:k], concepts_l[:k], strict=False))
                  for c in (ambiguous.get(s, frozenset()) if cs == AMBIGUOUS else (cs,))]
        ok = [m for m in before if m[2] not in (NULL, TEXT, MOD, COMPANY_CTX) and (allowed is _ANY or m[2] in allowed)]
        last = max((m[0] for m in ok), default=0)
        inherited = {m[2] for m in ok if m[0] == last}
        if len(inherited) == 1:
            head = inherited.pop()
    if head == AMBIGUOUS:
        head = None
    elif AMBIGUOUS in concepts_l and head in concepts_l:
        via = "initials?"  # an unresolved syllable beside the head: a guess
    return NameEvidence(head, tuple(c for c in concepts_l if c != AMBIGUOUS), via)


def _ends(word: str, key: str) -> list[int]:
    out = []
    start = word.find(key)
    while start >= 0:
        out.append(start + len(key))
        start = word.find(key, start + 1)
    return out


MEANINGLESS = re.compile(r"^(?:col(?:umn)?|field|f|c|字段|列|unnamed|未命名|x)[\s_\-:]*\d*$", re.I)


def is_meaningless(header: str) -> bool:
    """``col_7``, ``字段12``, ``Unnamed: 3``: names that carry no evidence."""
    return bool(MEANINGLESS.match((header or "").strip())) or not (header or "").strip()


# ----------------------------------------------------------------------------------------------
# Values
# ----------------------------------------------------------------------------------------------

SURNAMES_1 = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温"
    "康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成"
    "苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费"
    "卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠"
    "惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国"
    "狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢"
    "嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由宓竺虞娄邴糜鄂蔚励滑"
)
SURNAMES_2 = {
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "轩辕",
    "令狐", "钟离", "端木", "南宫", "西门", "独孤", "百里", "呼延", "万俟", "闻人", "赫连", "澹台", "公冶", "宗政",
    "濮阳", "太叔", "申屠", "仲孙", "拓跋", "左丘", "东郭", "梁丘", "鲜于", "第五", "司空", "亓官", "完颜", "单于",
}
# characters a personal name practically never ends with, but org units, places and roles do
NAME_BAD_END = set("村镇乡局所厂店部岗区市路街省县族婚教科室队处站院校司行社场园馆会厅组号楼座员工长")

ETHNIC_GROUPS = (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 景颇 "
    "柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 "
    "塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()
ETHNICITY_VALUES = {g + "族" for g in ETHNIC_GROUPS} | {g for g in ETHNIC_GROUPS if len(g) > 1} | {
    "穿青人", "其他", "外国血统", "外国血统中国籍人士", "未识别民族", "入籍"}
ETHNICITY_CODES = {f"{i:02d}" for i in range(1, 57)} | {"97", "98"}

GENDER_VALUES = {"男", "女", "男性", "女性", "未知", "未说明", "未知的性别", "未说明的性别", "M", "F", "MALE", "FEMALE"}
GENDER_CODES = {"0", "1", "2", "9"}

MARITAL_VALUES = {"未婚", "已婚", "初婚", "再婚", "复婚", "丧偶", "离婚", "离异", "未说明的婚姻状况", "有配偶", "无配偶",
                  "SINGLE", "MARRIED", "DIVORCED", "WIDOWED"}
MARITAL_CODES = {"10", "20", "21", "22", "23", "30", "40", "90", "1", "2", "3", "4", "9"}

POLITICAL_VALUES = {"中共党员", "中国共产党党员", "中共预备党员", "共青团员", "中国共产主义青年团团员", "群众", "党员",
                    "团员", "预备党员", "正式党员", "民革党员", "民革会员", "民盟盟员", "民建会员", "民进会员",
                    "农工党党员", "致公党党员", "九三学社社员", "台盟盟员", "无党派人士", "无党派民主人士",
                    "民主党派", "普通公民"}
POLITICAL_CODES = {f"{i:02d}" for i in range(1, 14)} | {str(i) for i in range(1, 14)}

EDUCATION_VALUES = {
    "研究生", "博士研究生", "硕士研究生", "博士", "硕士", "研究生教育", "大学本科", "本科", "大学本科教育", "大学",
    "大学专科", "大专", "专科", "高职", "大学专科教育", "中等专科", "中专", "中等职业教育", "职业高中", "职高", "技工学校",
    "技校", "中职", "普通高中", "高中", "高中阶段教育", "初中", "初级中学", "初中及以下", "小学", "小学及以下", "文盲",
    "文盲或半文盲", "半文盲", "学龄前", "学士", "名誉博士", "无", "其他", "高中及以下", "本科及以上", "大专及以上",
    "中专/高中", "高中/中专", "专科及以下", "研究生及以上", "博士后", "幼儿园", "识字", "不识字",
}
EDUCATION_CODES = {"10", "11", "12", "13", "14", "19", "20", "21", "22", "23", "28", "30", "31", "40", "41", "42",
                   "43", "44", "47", "48", "60", "61", "62", "63", "70", "71", "73", "80", "81", "90"}

RELIGION_VALUES = {"佛教", "道教", "伊斯兰教", "天主教", "基督教", "基督新教", "东正教", "犹太教", "印度教", "藏传佛教",
                   "无", "无宗教信仰", "不信教", "其他", "其他宗教", "民间信仰"}
RELIGION_MARKERS = {"佛教", "道教", "伊斯兰教", "天主教", "基督教", "基督新教", "东正教", "犹太教", "藏传佛教", "民间信仰"}

HEALTH_VALUES = {"健康", "良好", "一般", "较差", "差", "良", "优", "有慢性病", "慢性病", "残疾", "患病", "有病",
                 "亚健康", "体弱", "病弱", "重病", "健康或良好", "生活不能自理", "大病", "长期慢性病", "有重大疾病"}
# care and disability grades (护理/失能等级, 残疾类别) are health data
CARE_RE = (r"^(?:(?:特|一|二|三|四|1|2|3)级护理|(?:轻度|中度|重度|完全|半)失能|失能|能力完好|"
           r"(?:视力|听力|言语|肢体|智力|精神|多重)残疾(?:[一二三四1-4]级)?)$")
# names of organisational units (wards, departments, associations): never a diagnosis
ORG_UNIT_RE = r"(?:科|病区|病房|室|中心|院|会|局|所|站|办|部|处|单元|队|组|协会|联合会)$"
CORRECTION_VALUES = {"缓刑", "假释", "管制", "暂予监外执行", "剥夺政治权利", "监外执行", "社区矫正"}

# disease / symptom vocabulary (diagnosis names, chief complaints)
MEDICAL_WORDS = (
    "炎|病|症|癌|瘤|骨折|感染|综合征|综合症|梗死|梗塞|哮喘|高血压|糖尿|结节|损伤|出血|衰竭|不全|溃疡|结石|囊肿|疼痛|痛|"
    "咳嗽|发热|发烧|腹泻|呕吐|头晕|头痛|胸闷|心悸|失眠|不适|乏力|麻木|肿|疝|贫血|过敏|中风|抑郁|焦虑|痴呆|狭窄|"
    "硬化|增生|积液|脱位|扭伤|挫伤|皮疹|瘙痒|便秘|尿频|尿急|咽痛|流涕|鼻塞|气促|气喘|胸痛|腰痛|腹痛|水肿|痛风|"
    "血脂|血糖|血压|骨质|关节|视力|听力|残疾|疫苗|接种|孕|产|手术|术后|体检"
)
CRIME_WORDS = ("罪|判处|有期徒刑|无期徒刑|拘役|管制|缓刑|假释|罚金|免予刑事处罚|死刑|剥夺政治权利|没收财产|"
               "监外执行|劳动教养|拘留|强制隔离戒毒|吊销驾驶证")

# address words
PROVINCE_NAMES = ("北京|天津|上海|重庆|河北|山西|内蒙古|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|"
                  "湖南|广东|广西|海南|四川|贵州|云南|西藏|陕西|甘肃|青海|宁夏|新疆|台湾|香港|澳门")
ZHEJIANG_CITIES = "杭州|宁波|温州|嘉兴|湖州|绍兴|金华|衢州|舟山|台州|丽水"
CIXI_TOWNS = ("浒山街道", "白沙路街道", "古塘街道", "坎墩街道", "宗汉街道", "孙塘街道", "龙山镇", "掌起镇", "观海卫镇",
              "附海镇", "桥头镇", "匡堰镇", "逍林镇", "新浦镇", "胜山镇", "横河镇", "崇寿镇", "庵东镇", "长河镇", "周巷镇",
              "天元镇")
NINGBO_DISTRICTS = ("海曙区", "江北区", "北仑区", "镇海区", "鄞州区", "奉化区", "余姚市", "慈溪市", "宁海县", "象山县")

# a street-level address: place words followed by a house number (号/幢/室/弄/组…)
ADDRESS_RE = (r"(?:省|市|区|县|镇|乡|街道|村|路|街|大道|巷|弄|公路|线|小区|社区|花园|新村|苑|庭|府|大厦|广场)"
              r".{0,30}?[0-9０-９一二三四五六七八九十百]+(?:号|幢|栋|室|弄|单元|组|层|楼|座|排|户)")
PLACE_ONLY_RE = r"(?:省|市|区|县|镇|乡|街道|村|社区|居委会)$"

COMPANY_SUFFIX_RE = (r"(?:有限公司|有限责任公司|股份有限公司|股份公司|集团公司|公司|分公司|合作社|联合社|事务所|"
                     r"有限合伙|普通合伙|（有限合伙）|研究院|研究所|集团|工作室|门市部|经营部|加工厂|加工场|"
                     r"养殖场|农场|林场|酒店|宾馆|旅馆|超市|诊所|药店|药房|医院|学校|幼儿园|中心|协会|商会|基金会)"
                     r"(?:[（(][^）)]*[）)])?$")
# 个体工商户 legal names: administrative prefix + 字号 + trade + form (慈溪市坎墩远奥水果店)
SMALL_BUSINESS_RE = (r"^(?:浙江省|宁波市|杭州市|慈溪市|余姚市|\p{Han}{2,3}[省市县区])"
                     r"\p{Han}{2,16}(?:店|厂|商行|行|部|馆|坊|铺|场|社|站|吧|所)$")
SHOP_DISPLAY_RE = r"(?:旗舰店|专营店|专卖店|官方店|企业店|工厂店|自营店|直营店|精品店|小店|体验店)$"
GOVERNMENT_RE = (r"(?:局|委员会|委|办公室|办事处|人民政府|政府|派出所|司法所|税务所|税务分局|分局|法院|检察院|支队|"
                 r"大队|中队|管委会|管理处|管理所|服务中心|服务站|党支部|党委|居委会|村委会|工作站|监狱|看守所|海关|"
                 r"指挥部|人大|政协)$")
BANK_RE = r"(?:银行|信用社|信用合作联社|农商行|农信社)"
