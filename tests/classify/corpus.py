"""An adversarial, generated corpus of departmental tables with a label for every column.

Two splits from two *separate generator configs*: ``DEV`` (seed 11, header pool 0, value variant 0)
for working on the classifier, and ``HELDOUT`` (seed 97, header pool 1, value variant 1), which is
never tuned on. The pools share no header spelling, and the held-out values come from other word
lists and formats (see :mod:`tests.classify.corpus_values`), so held-out scores measure what the
rules generalise to: pinyin initials and abbreviations, English, meaningless names (``F7``,
``column12``) where the values must decide, written-out dates of birth, GB/T code values, people
under role headers (also mixed with companies), unnamed coordinates, disability and care grades,
pay named by its kind — and the false alarms: version strings, file hashes, scores, wards and units,
years of service. Labels use the taxonomy codes of ``tests/cases/classify-dev``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pyarrow as pa
from tests.classify import corpus_values as G

# slot: (label, value generator, value-decidable without a header, header pools (dev, held-out))
Slot = tuple[str | None, G.Gen, bool, tuple[tuple[str, ...], tuple[str, ...]]]

SLOTS: dict[str, Slot] = {
    "name": ("person_name", G.names, True, (
        ("姓名", "xm", "name", "人员姓名", "xingming", "full_name", "ryxm", "PERSON_NAME", "userName", "emp_nm", "XM"),
        ("真实姓名", "zsxm", "family_name", "personName", "申报人姓名", "sbrxm", "PERSON_NM", "owner_name"))),
    "role": ("person_name", G.names, True, (
        ("经办人", "jbr", "审核人", "联系人", "contact_person", "handler", "登记人", "djr", "填报人", "tbr", "approver", "auditor_nm"),
        ("复核人", "fhr", "受理人", "slr", "签字人", "验收人", "reviewer", "operator_name", "采集人", "cjry"))),
    "role_mixed": ("person_name", G.names_mixed, False, (
        ("联系人", "委托人", "lxr", "consignee"),
        ("收货人", "缴款人", "shr_mc", "payer_name", "wtr"))),
    "legal_rep": ("legal_representative", G.names, False, (
        ("法定代表人", "fddbr", "legal_rep"),
        ("法人代表", "frdb", "legal_person", "法定代表人姓名", "fddbrxm"))),
    "id_card": ("id_card", G.id_cards, True, (
        ("身份证号码", "sfzh", "id_card", "证件号码", "zjhm", "id_no", "idCardNo", "ZJHM", "cert_num", "身份证件号码"),
        ("公民身份号码", "gmsfhm", "sfzjhm", "idNumber", "居民身份证号", "citizen_id_no", "SFZHM"))),
    "mobile": ("mobile_phone", G.mobiles, True, (
        ("联系电话", "lxdh", "mobile", "手机号码", "sjhm", "tel", "MOBILE_NO", "phoneNo", "联系方式", "lxfs"),
        ("移动电话", "yddh", "cellphone", "phone_number", "联系手机", "lxsj", "本人电话", "brdh"))),
    "landline": ("landline_phone", G.landlines, True, (
        ("固定电话", "gddh", "office_phone"),
        ("办公电话", "bgdh", "landline_no", "单位电话", "dwdh"))),
    "email": ("email", G.emails, True, (
        ("电子邮箱", "dzyx", "email"),
        ("邮箱地址", "yxdz", "mail_address", "e_mail"))),
    "address": ("address", G.addresses, True, (
        ("居住地址", "jzdz", "home_addr", "家庭住址", "jtzz", "address", "homeAddress", "addr", "ADDR_DETAIL", "户籍住址", "hjzz"),
        ("现住址", "xzz", "户籍所在地", "hjszd", "residential_address", "通讯地址", "txdz", "经常居住地", "jcjzd"))),
    "postal": ("postal_code", G.postals, False, (
        ("邮政编码", "yzbm", "zip_code"),
        ("邮编", "yb", "postcode"))),
    "birth": ("birth_date", G.birth_dates, False, (
        ("出生日期", "csrq", "birthday", "date_of_birth", "birthDate", "CSRQ", "dob", "birth_dt_str"),
        ("出生年月日", "csnyr", "birth_dt", "生日", "出生时间", "DOB"))),
    "age": ("age", G.ages, False, (
        ("年龄", "nl", "age"),
        ("实足年龄", "sznl", "age_years", "当前年龄"))),
    "gender": ("gender", G.genders, False, (
        ("性别", "xb", "gender", "GENDER_CD", "sex_code", "性别代码值"),
        ("性别代码", "xbdm", "sex", "性别名称", "XB_DM"))),
    "ethnicity": ("ethnicity", G.ethnicities, False, (
        ("民族", "mz", "ethnicity", "MZ_DM", "nation_cd", "民族名称"),
        ("民族代码", "mzdm", "nation", "族别", "ethnic_group"))),
    "marital": ("marital_status", G.maritals, False, (
        ("婚姻状况", "hyzk", "marital_status", "HYZK_DM", "marriage_cd"),
        ("婚姻状态", "hyzt", "marriage", "婚否"))),
    "political": ("political_status", G.politicals, False, (
        ("政治面貌", "zzmm", "political", "ZZMM_DM", "politics_cd"),
        ("政治面貌代码", "zzmmdm", "party_status", "党派"))),
    "education": ("education_level", G.educations, False, (
        ("文化程度", "whcd", "education", "XL_DM", "edu_cd", "学历名称", "whcddm"),
        ("学历代码", "xldm", "edu_background", "最高学历", "zgxl", "受教育程度"))),
    "religion": ("religion", G.religions, False, (
        ("宗教信仰", "zjxy", "religion"),
        ("信仰宗教", "faith", "xyzj"))),
    "bank_card": ("bank_card", G.bank_cards, True, (
        ("银行卡号", "yhkh", "bank_card"),
        ("代发卡号", "dfkh", "收款卡号", "skkh", "card_number", "社保卡银行账号"))),
    "corp_account": ("bank_account", G.corp_accounts, False, (
        ("基本户账号", "jbhzh", "对公账户"),
        ("单位账号", "dwzh", "corp_account", "结算账号"))),
    "pay": ("income", G.amounts(1500, 30000), False, (
        ("基本工资", "jbgz", "salary", "绩效工资", "应发合计", "yfhj", "岗位工资", "年终奖", "bonus", "加班工资", "BASE_PAY_AMT", "salary_amt", "绩效奖金", "jxjj", "津贴合计"),
        ("薪级工资", "xjgz", "奖励性绩效", "劳务报酬", "lwbc", "提成", "commission", "实发金额", "sfje", "税前收入",
         "退休费", "佣金", "overtime_pay", "net_pay", "gross_pay", "月收入"))),
    "revenue": ("revenue", G.amounts(1e5, 5e7), False, (
        ("营业收入", "yysr", "revenue", "销售额"),
        ("主营业务收入", "zyywsr", "年销售收入", "sales_amount", "营收", "turnover"))),
    "tax": ("tax_amount", G.amounts(100, 90000), False, (
        ("应纳税额", "ynse", "tax_paid", "TAX_AMT", "个税金额", "gsje"),
        ("实缴税额", "sjse", "代扣个税", "个人所得税", "tax_withheld", "入库税款"))),
    "diagnosis": ("medical_info", G.diagnoses, True, (
        ("诊断名称", "zdmc", "diagnosis", "主要诊断", "diag_name", "ZDMC_NM", "诊断结果"),
        ("出院诊断", "cyzd", "疾病名称", "jbmc", "illness_name", "入院诊断"))),
    "icd": ("medical_info", G.icd_codes, False, (
        ("诊断编码", "zdbm", "icd10"),
        ("主要诊断编码", "zyzdbm", "疾病编码", "icd_code"))),
    "disability": ("medical_info", G.disability_grades, False, (
        ("残疾等级", "cjdj", "残疾类别", "disability_level", "CJDJ_DM", "残疾程度"),
        ("伤残等级", "scdj", "disability_grade", "残疾级别", "cjjb"))),
    "care": ("medical_info", G.care_grades, False, (
        ("护理等级", "hldj", "care_grade", "nursing_level", "护理级别", "hljb"),
        ("失能等级", "sndj", "care_level", "照护等级"))),
    "crime": ("criminal_record", G.crimes, True, (
        ("罪名", "zm", "charge"),
        ("涉嫌罪名", "sxzm", "offense", "判决罪名"))),
    "password": ("credential", G.hashes, False, (
        ("密码", "mm", "password_hash"),
        ("登录密码", "dlmm", "pwd", "user_secret", "口令"))),
    "coord_pair": ("gps_coordinate", G.coord_pairs, True, (
        ("经纬度", "jwd", "lnglat"),
        ("位置坐标", "wzzb", "gps_position", "定位坐标"))),
    "lon": ("gps_coordinate", G.lons, True, (
        ("经度", "jd", "lng", "longitude", "LNG_X", "经度值"),
        ("东经", "gps_lon", "X坐标", "wz_lon"))),
    "lat": ("gps_coordinate", G.lats, True, (
        ("纬度", "wd", "lat", "latitude", "LAT_Y", "纬度值"),
        ("北纬", "gps_lat", "Y坐标", "wz_lat"))),
    "plate": ("license_plate", G.plates, True, (
        ("车牌号码", "cphm", "plate_no"),
        ("号牌号码", "hphm", "机动车号牌", "vehicle_plate", "jdchp"))),
    "vin": ("vin", G.vins, True, (
        ("车架号", "cjh", "vin"),
        ("车辆识别代号", "clsbdh", "chassis_number"))),
    "ip": ("ip_address", G.ips, True, (
        ("登录IP", "ip_addr", "client_ip"),
        ("访问IP", "IP地址", "source_ip", "remote_addr", "fwip"))),
    "mac": ("mac_address", G.macs, True, (
        ("MAC地址", "mac"),
        ("设备MAC", "wifi_mac", "物理地址"))),
    "imei": ("imei", G.imeis, True, (
        ("IMEI", "设备串号"),
        ("终端IMEI", "imei_no", "手机串号"))),
    "uscc": ("uscc", G.usccs, True, (
        ("统一社会信用代码", "tyshxydm", "credit_code"),
        ("社会信用代码", "shxydm", "纳税人识别号", "nsrsbh", "uscc_code", "USCI"))),
    "org_code": ("org_code", G.org_codes, True, (
        ("组织机构代码", "zzjgdm"),
        ("机构代码", "jgdm", "org_code_no"))),
    "reg_no": ("business_reg_no", G.reg_nos, True, (
        ("注册号", "zch"),
        ("营业执照号", "yyzzh", "reg_number"))),
    "company": ("company_name", G.companies, True, (
        ("企业名称", "qymc", "company", "单位名称", "CORP_NM", "companyName", "工作单位名称"),
        ("用人单位", "yrdw", "employer_name", "纳税人名称", "nsrmc", "所属企业", "供货单位"))),
    "passport": ("passport", G.passports, True, (
        ("护照号码", "hzhm", "passport_no"),
        ("护照号", "passport", "hzh"))),
    "permit": ("travel_permit", G.permits, True, (
        ("港澳通行证号码", "txzhm"),
        ("往来港澳通行证", "台胞证号", "permit_number"))),
    "si_no": ("social_security_no", G.si_numbers, False, (
        ("社保卡号", "sbkh", "si_card_no", "SBKH_NO", "social_card_num", "医保号"),
        ("医保卡号", "ybkh", "参保编号", "medical_insurance_no"))),
    "free_text": ("free_text_pii", G.free_texts, True, (
        ("诉求内容", "备注", "情况说明", "REMARK_TXT", "办理意见", "memo"),
        ("来信内容", "处理经过", "remark", "走访记录"))),
    # ---- null columns: ordinary attributes and the false alarms ----
    "version": (None, G.versions, False, (("版本号", "bbh", "version", "VER_NO", "客户端版本"), ("软件版本", "app_version", "固件版本", "gjbb"))),
    "file_hash": (None, G.hashes, False, (("文件MD5", "校验码", "file_md5", "checksum", "FILE_HASH", "文件哈希"),
                                          ("文件摘要", "附件指纹", "sha256", "digest", "wjzy"))),
    "score": (None, G.scores, False, (("评分", "score", "信用分"), ("考核得分", "khdf", "满意度得分", "rating", "综合评分"))),
    "ward": (None, G.wards, False, (("病区", "科室", "所属科室", "ksmc", "DEPT_NM", "科室名称"), ("就诊科室", "jzks", "ward", "护理单元", "住院病区"))),
    "unit": (None, G.units, False, (("主管部门", "发证机关"), ("所属单位", "经办机构", "审批部门", "jbjg"))),
    "service": (None, G.service_years, False, (("工龄", "gl", "seniority", "WORK_YEARS", "连续工龄"),
                                               ("司龄", "教龄", "service_years", "本单位工龄", "bdwgl", "任职年限", "rznx"))),
    "date": (None, G.other_dates, False, (("登记日期", "djrq", "hire_date", "发证日期", "入职日期"),
                                          ("受理时间", "办结日期", "bjrq", "apply_date", "入院日期", "ryrq"))),
    "subsidy": (None, G.amounts(50, 3000), False, (("补贴金额", "btje", "subsidy"), ("发放金额", "ffje", "补助标准", "fee_amount"))),
    "capital": (None, G.amounts(1e5, 1e7), False, (("注册资本", "zczb"), ("认缴出资额", "registered_capital"))),
    "town": (None, G.towns, False, (("所属镇街", "ssjz"), ("乡镇街道", "township", "所在镇"))),
    "status": (None, G.statuses, False, (("办理状态", "blzt", "status"), ("审核结果", "shjg", "审批状态", "approve_status"))),
    "flag": (None, G.yes_no, False, (("是否低保", "sfdb"), ("是否有效", "is_valid"))),
    "serial": (None, G.serials, False, (("业务流水号", "lsh", "serial_no"), ("受理编号", "slbh", "case_no"))),
    "count": (None, G.counts, False, (("家庭人口数", "jtrks"), ("子女数", "zns", "household_size"))),
    "relation": (None, G.relations, False, (("与户主关系", "yhzgx"), ("家庭关系", "relation"))),
    "position": (None, G.positions, False, (("职务", "zw", "position"), ("岗位名称", "gwmc", "job_title"))),
    "region": (None, G.region_codes, False, (("行政区划代码", "xzqhdm"), ("区划编码", "area_code"))),
    "colour": (None, G.colours, False, (("号牌颜色", "hpys"), ("车身颜色", "plate_color"))),
    "bed": (None, G.beds, False, (("床位号", "cwh"), ("床号", "bed_no"))),
}

# departmental table themes: (table name, slots); a slot may repeat
THEMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("居民信息", ("name", "id_card", "gender", "ethnicity", "birth", "marital", "education", "political", "mobile",
              "address", "town", "relation", "date", "count")),
    ("残疾人护理补贴", ("name", "id_card", "disability", "care", "gender", "age", "address", "role", "mobile",
                 "subsidy", "date", "status", "flag")),
    ("住院病案", ("name", "si_no", "diagnosis", "icd", "ward", "bed", "role", "date", "age", "gender", "address")),
    ("工资发放", ("name", "id_card", "bank_card", "pay", "pay", "pay", "tax", "service", "position", "date",
              "company")),
    ("企业登记", ("company", "uscc", "org_code", "reg_no", "legal_rep", "capital", "address", "landline", "revenue",
              "tax", "town", "role_mixed", "corp_account", "date")),
    ("行政审批", ("name", "id_card", "mobile", "role", "role", "date", "status", "serial", "company", "unit",
              "free_text")),
    ("设备台账", ("ip", "mac", "imei", "version", "file_hash", "lon", "lat", "address", "role", "date", "status")),
    ("系统用户", ("name", "password", "mobile", "email", "ip", "score", "position", "date", "unit")),
    ("机动车", ("name", "plate", "vin", "id_card", "mobile", "colour", "date", "address")),
    ("出入境证件", ("name", "passport", "permit", "birth", "gender", "id_card", "date", "unit")),
    ("社区矫正", ("name", "id_card", "crime", "date", "serial", "unit", "religion", "address")),
    ("信访件", ("free_text", "name", "mobile", "date", "status", "serial", "role")),
    ("网点分布", ("coord_pair", "address", "company", "role_mixed", "landline", "email", "postal")),
)


@dataclass(frozen=True)
class Config:
    """One split's generator settings (never mix: the held-out split has its own)."""

    name: str
    seed: int
    tables: int
    pool: int  # which header pool (0 dev, 1 held-out)
    meaningless: float  # chance that a value-decidable column gets a meaningless header
    junk_names: tuple[str, ...]  # meaningless header spellings, with {i} for the column number


DEV = Config("dev", 11, 104, 0, 0.2, ("col_{i}", "F{i}", "字段{i}"))
HELDOUT = Config("heldout", 97, 78, 1, 0.25, ("column{i}", "C{i}", "Unnamed: {i}", "列{i}", "field_{i}"))


def _pick_header(r: random.Random, slot: Slot, cfg: Config, i: int, decidable: bool, used: set[str]) -> str:
    _label, _gen, _by_value, pools = slot
    if decidable and r.random() < cfg.meaningless:
        return r.choice(cfg.junk_names).format(i=i + 1)
    choices = [h for h in pools[cfg.pool] if h not in used] or list(pools[cfg.pool])
    h = r.choice(choices)
    return h if h not in used else f"{h}{i}"


def build(cfg: Config) -> list[tuple[str, pa.Table, dict[str, str | None]]]:
    """The split's tables: (table name, all-string table, label per column)."""
    r = random.Random(cfg.seed)
    out: list[tuple[str, pa.Table, dict[str, str | None]]] = []
    for t in range(cfg.tables):
        theme, slots = THEMES[t % len(THEMES)]
        slots = tuple(s for s in slots if r.random() < 0.85 or s in ("name", "id_card"))
        slots = tuple(r.sample(slots, len(slots)))
        n = r.randrange(60, 320)
        has_id = "id_card" in slots
        cols: dict[str, pa.Array] = {}
        labels: dict[str, str | None] = {}
        if has_id:  # the ID column first, so birth dates, genders and ages can agree with it
            slots = ("id_card", *(s for s in slots if s != "id_card"))
        ids: list[str] = []
        for i, key in enumerate(slots):
            slot = SLOTS[key]
            derived = has_id and key in ("birth", "gender", "age") and r.random() < 0.7
            # birth dates and gender codes that agree with the ID numbers can be told without a name
            header = _pick_header(r, slot, cfg, i, slot[2] or (derived and key != "age"), set(cols))
            if derived:
                vals = G.from_ids(key, ids, r, cfg.pool)
            else:
                vals = slot[1](r, n, cfg.pool)
            if key == "id_card" and not ids:
                ids = vals
            cols[header] = pa.array([v or None for v in vals], pa.string())
            labels[header] = slot[0]
        out.append((f"{cfg.name}_{t:03d}_{theme}", pa.table(cols), labels))
    return out
