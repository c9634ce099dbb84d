"""The sensitive-type registry: one record per type, the only place a type is defined.

Every stage derives what it needs from these records: the classifier its header vocabulary (Chinese,
pinyin, initials — more initials are derived from the Chinese words, see :mod:`initials` — and
English), the value detectors that count for the type and the share they need, tie-break priority;
grading its default level and the groups the context rules use; the free-text entity pattern used
both to find and to redact identifiers inside text; and, for protection, the *names* of the masking
rule (with its parameters), of the pseudonym shape and of the decoy generator. The classify stage
must not import protect, so a record holds rule names and parameters only; ``protect`` maps each name
to its function (:data:`shucang.protect.masking.STRATEGIES`, ``pseudonym.SHAPES``,
``decoys.column_kind``). Adding a type is one record here plus its tests — see docs/classification.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

GROUPS = ("direct", "quasi", "sensitive", "personal", "legal_key", "published", "natural", "identifying")
"""direct identifier · quasi-identifier · sensitive attribute · other personal data · identifies a legal
person · published legal-person data · marks a natural person as the table's subject · names a person
on its own in a leaked file (a file extract releasing one as stored gets decoy rows)."""
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_ID_TEXT = r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"
_PLATE_TEXT = "[" + PLATE_PROVINCES + "][A-HJ-NP-Z][A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳]"
# what may touch a free-text entity on either side
_BOUNDS = {"digit": ("[^0-9]", "[^0-9]"), "alnum": ("[^0-9A-Za-z]", "[^0-9A-Za-z]"), "none": ("", "")}


@dataclass(frozen=True)
class SensitiveType:
    """Everything about one sensitive type (敏感数据类型)."""

    code: str
    """Taxonomy code (``id_card``), as in scan reports and labels."""
    name_zh: str
    """Name shown to stewards."""
    level: int
    """Default level 1–4 (DB33/T 2351: 1 不敏感 … 4 敏感)."""
    zh: tuple[str, ...] = ()
    """Chinese header words (their pinyin initials are derived)."""
    initials: tuple[str, ...] = ()
    """Hand-made pinyin-initial spellings (``sfzh``); they win over derived ones."""
    pinyin: tuple[str, ...] = ()
    """Full-pinyin fragments (``shenfenzheng``)."""
    en: tuple[str, ...] = ()
    """English header phrases, as ``_``-joined tokens (``id_card``)."""
    threshold: float | None = None
    """Share of non-blank values its value detector needs to decide the type whatever the header."""
    priority: int = 0
    """Tie-break between types whose values both pass (checksummed identifiers highest)."""
    validators: tuple[str, ...] = ()
    """Names of the value detectors (:func:`shucang.classify.detect.value_shares` keys) that count for it."""
    groups: tuple[str, ...] = ()
    """Groups of :data:`GROUPS` used by the grading context rules."""
    mask: str = "redact"
    """Name of its display masking rule (a key of ``protect.masking.STRATEGIES``)."""
    mask_params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """Parameters of that rule."""
    pseudonym: str | None = None
    """Token shape of its keyed pseudonym (``id18``, ``mobile``, ``digits``, ``token``); None: not pseudonymised."""
    decoy: str | None = None
    """Decoy generator kind (``id``, ``mobile``, ``name``); None: the decoy keeps its donor's value."""
    never_shown: bool = False
    """Masked for every recipient whatever the clearance (密码)."""
    open_data_drop: bool = False
    """Dropped from open-data releases when graded above the release's level (names, addresses…)."""
    check: str | None = None
    """Check character a synthesised value must get right (``luhn``, ``uscc``), by name."""
    text: str | None = None
    """RE2 pattern of the entity inside free text (no boundaries), used to find *and* to redact it."""
    text_bound: str = "none"
    """What may not touch the entity on either side: ``digit``, ``alnum`` or ``none``."""
    text_label: str | None = None
    """Placeholder that replaces the entity in labelled redaction (``[身份证号]``)."""

    def in_text(self, captures: str = "entity") -> str:
        """The free-text pattern with its boundaries. ``captures``: ``entity`` — one group, the entity
        (to find it); ``sides`` — two groups, the characters left and right of it (to replace it and keep
        them); ``left`` — one group, the character on the left (RE2 has no look-behind)."""
        if self.text is None:
            raise KeyError(f"{self.code} has no free-text pattern")
        left, right = _BOUNDS[self.text_bound]
        lo, ro = (f"^|{left}", f"{right}|$") if left else ("", "")
        if captures == "entity":
            return (f"(?:{lo})" if lo else "") + "(" + self.text + ")" + (f"(?:{ro})" if ro else "")
        if captures == "sides":
            return f"({lo})" + self.text + f"({ro})"
        if captures == "left":
            return f"({lo})" + self.text + (f"(?:{ro})" if ro else "")
        raise ValueError(captures)


T = SensitiveType

TYPES: tuple[SensitiveType, ...] = (
    T('person_name', '姓名', 3,
      zh=('姓名', '名字', '曾用名', '别名', '联系人', '负责人', '户主', '所有人', '车主', '店主', '诉求人', '来电人', '申请人', '申报人', '经办人', '办税人', '收件人', '监护人', '父亲', '母亲', '配偶', '医生', '医师', '教师', '患者', '病人', '学生', '职工', '员工', '人员姓名', '用户姓名', '用户名称', '客户名称', '房东', '业主', '承租人', '出租人', '当事人', '被申请人', '持卡人', '户名', '账户名', '开户名', '签收人', '填报人', '审核人', '操作员', '投诉人', '举报人'),
      initials=('xm', 'xingm', 'cym', 'lxr', 'fzr', 'hzxm', 'czxm', 'sqr', 'jbr', 'jhr', 'fqxm', 'mqxm'),
      pinyin=('xingming', 'mingzi', 'lianxiren', 'fuzeren'),
      en=('name', 'real_name', 'full_name', 'person_name', 'realname', 'fullname', 'contact', 'contact_name', 'owner', 'owner_name', 'applicant', 'patient', 'patient_name', 'doctor', 'first_name', 'last_name', 'surname', 'given_name', 'customer_name', 'user_real_name', 'father', 'mother', 'guardian', 'student_name', 'emp_name', 'employee_name', 'xm'),
      threshold=0.6,
      priority=4,
      groups=('direct', 'natural', 'identifying'),
      mask='name',
      pseudonym='token',
      decoy='name',
      open_data_drop=True),
    T('id_card', '居民身份证号', 4,
      zh=('身份证号码', '身份证号', '身份证', '公民身份号码', '证件号码', '证件号', '身份证明号码', '社会保障号码', '社会保障号', '证照号码', '居民身份证', '身份号码', '证件编号', '居住证号'),
      initials=('sfzh', 'sfz', 'sfzhm', 'zjhm', 'zjh', 'gmsfhm', 'shbzhm', 'sfhm'),
      pinyin=('shenfenzheng', 'zhengjianhaoma', 'zhengjianhao', 'shenfenhao'),
      en=('id_card', 'idcard', 'id_no', 'id_number', 'idno', 'identity', 'identity_no', 'citizen_id', 'national_id', 'cert_no', 'certificate_no', 'resident_id', 'idcard_no', 'id_card_no', 'sfzh'),
      threshold=0.5,
      priority=9,
      groups=('direct', 'natural', 'identifying'),
      mask='keep_ends', mask_params={'head': 6, 'tail': 4},
      pseudonym='id18',
      decoy='id',
      text_label='[身份证号]',
      text=_ID_TEXT, text_bound='alnum'),
    T('passport', '护照号', 4,
      zh=('护照号码', '护照号', '护照'),
      initials=('hzhm', 'hzh'),
      pinyin=('huzhao',),
      en=('passport', 'passport_no'),
      threshold=0.8,
      priority=5,
      validators=('alnum_code', 'doc_code', 'passport'),
      groups=('direct', 'natural', 'identifying'),
      mask='keep_ends', mask_params={'head': 1, 'tail': 2},
      pseudonym='token'),
    T('travel_permit', '港澳台通行证', 4,
      zh=('通行证号码', '通行证号', '通行证', '回乡证', '台胞证', '往来港澳', '往来台湾'),
      initials=('txzh', 'txzhm'),
      pinyin=('tongxingzheng',),
      en=('permit_no', 'travel_permit', 'hk_permit', 'tw_permit'),
      threshold=0.8,
      priority=5,
      validators=('alnum_code', 'doc_code', 'travel_permit'),
      groups=('direct', 'natural', 'identifying'),
      mask='keep_ends', mask_params={'head': 1, 'tail': 2},
      pseudonym='id18',
      decoy='id'),
    T('social_security_no', '社保卡/医保卡号', 4,
      zh=('社保卡号', '社保号', '医保卡号', '医保号', '社会保障卡号', '个人编号', '参保号', '参保编号', '医保编号', '社保编号', '个人社保号', '市民卡号', '就诊卡号'),
      initials=('sbkh', 'ybkh', 'grbh', 'sbh', 'cbh'),
      pinyin=('shebaoka',),
      en=('ssn', 'social_security', 'insurance_no', 'si_card', 'medicare_no', 'social_card', 'social_security_card'),
      validators=('alnum_code', 'doc_code'),
      groups=('direct', 'natural', 'identifying'),
      mask='keep_ends', mask_params={'head': 6, 'tail': 4},
      pseudonym='id18',
      decoy='id'),
    T('mobile_phone', '手机号码', 3,
      zh=('手机号码', '手机号', '手机', '移动电话', '来电号码', '主叫号码', '联系方式', '电话号码', '联系电话', '电话', '联系号码', '号码'),
      initials=('sjhm', 'sjh', 'sj', 'lxdh', 'dh', 'dhhm', 'lxfs', 'yddh', 'ldhm'),
      pinyin=('shouji', 'dianhua', 'lianxifangshi'),
      en=('mobile', 'phone', 'cellphone', 'cell', 'tel', 'telephone', 'phone_no', 'mobile_no', 'msisdn', 'contact_phone', 'phone_number'),
      threshold=0.5,
      priority=6,
      validators=('decimal', 'landline_phone', 'mobile_phone'),
      groups=('direct', 'natural', 'identifying'),
      mask='phone',
      pseudonym='mobile',
      decoy='mobile',
      text_label='[手机号]',
      text=r'(?:(?:\+|00)?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]){8}', text_bound='digit'),
    T('landline_phone', '固定电话', 3,
      zh=('固定电话', '固话', '座机', '办公电话', '单位电话', '传真'),
      initials=('gddh', 'bgdh', 'cz'),
      pinyin=('guding',),
      en=('landline', 'fax', 'office_phone', 'office_tel'),
      threshold=0.5,
      validators=('landline_phone', 'local_phone', 'mobile_phone'),
      groups=('published', 'personal'),
      mask='phone',
      text_label='[电话]',
      text=r'\(?0[1-9][0-9]{1,2}\)?[- ]?[2-9][0-9]{6,7}', text_bound='digit'),
    T('email', '电子邮箱', 3,
      zh=('电子邮箱', '电子邮件', '邮箱', 'email', 'e-mail'),
      initials=('yx', 'dzyx'),
      pinyin=('youxiang',),
      en=('email', 'e_mail', 'mail', 'email_address'),
      threshold=0.6,
      priority=6,
      groups=('direct', 'published', 'identifying'),
      mask='email',
      text_label='[邮箱]',
      text=r'[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}', text_bound='none',
      open_data_drop=True),
    T('address', '地址', 3,
      zh=('地址', '住址', '住所', '居住地', '户籍地', '所在地', '建设地点', '地点', '详细地址', '门牌', '暂住地', '现住址', '通讯地址', '通信地址', '经营场所', '住所地', '出生地', '籍贯地址'),
      initials=('dz', 'zz', 'zs', 'hjdz', 'jtzz', 'xzz', 'jzdz', 'zzdz', 'txdz', 'jydz', 'hjd'),
      pinyin=('zhuzhi', 'dizhi', 'zhusuo'),
      en=('address', 'addr', 'home_address', 'street', 'residence', 'home_addr', 'location_address'),
      threshold=0.5,
      priority=3,
      validators=('address',),
      groups=('quasi', 'published', 'identifying'),
      mask='address',
      open_data_drop=True),
    T('postal_code', '邮政编码', 1,
      zh=('邮政编码', '邮编'),
      initials=('yzbm', 'yb'),
      pinyin=('youbian', 'youzhengbianma'),
      en=('postcode', 'post_code', 'zip', 'zipcode', 'zip_code', 'postal_code', 'postalcode'),
      validators=('postal',),
      groups=('quasi', 'published'),
      mask='keep_ends', mask_params={'head': 3, 'tail': 0}),
    T('birth_date', '出生日期', 3,
      zh=('出生日期', '出生年月', '出生年月日', '生日', '出生时间', '出生'),
      initials=('csrq', 'csny'),
      pinyin=('chusheng', 'shengri'),
      en=('birth', 'birthday', 'dob', 'birth_date', 'birth_month', 'birthdate', 'date_of_birth', 'born'),
      validators=('date', 'datetime'),
      groups=('quasi', 'natural'),
      mask='year'),
    T('age', '年龄', 2,
      zh=('年龄', '周岁', '岁数'),
      initials=('nl',),
      pinyin=('nianling',),
      en=('age',),
      validators=('int_small',),
      groups=('quasi',),
      mask='age_band', mask_params={'width': 10}),
    T('gender', '性别', 2,
      zh=('性别',),
      initials=('xb',),
      pinyin=('xingbie',),
      en=('sex', 'gender'),
      threshold=0.8,
      validators=('gender', 'gender_code'),
      groups=('quasi',),
      mask='redact', mask_params={'replacement': '*'}),
    T('ethnicity', '民族', 3,
      zh=('民族', '族别'),
      initials=('mz',),
      pinyin=('minzu',),
      en=('ethnicity', 'ethnic', 'nation', 'nationality_ethnic', 'race'),
      threshold=0.8,
      validators=('code2', 'ethnicity'),
      groups=('quasi',),
      mask='redact'),
    T('marital_status', '婚姻状况', 3,
      zh=('婚姻状况', '婚姻状态', '婚姻', '婚否'),
      initials=('hyzk',),
      pinyin=('hunyin',),
      en=('marital', 'marital_status', 'marriage'),
      threshold=0.8,
      validators=('code2', 'marital_status'),
      groups=('quasi',),
      mask='redact'),
    T('political_status', '政治面貌', 3,
      zh=('政治面貌', '党派', '党员类别', '党籍'),
      initials=('zzmm',),
      pinyin=('zhengzhimianmao',),
      en=('political', 'political_status', 'party', 'party_member', 'politics'),
      threshold=0.8,
      validators=('code2', 'political_status'),
      groups=('quasi', 'sensitive'),
      mask='redact'),
    T('education_level', '学历', 2,
      zh=('学历', '文化程度', '受教育程度', '学位', '最高学历', '文化水平'),
      initials=('whcd', 'xl', 'xw'),
      pinyin=('xueli', 'wenhuachengdu'),
      en=('education', 'edu', 'degree', 'edu_level', 'education_level', 'diploma'),
      threshold=0.8,
      validators=('code2', 'education_level'),
      groups=('quasi',),
      mask='redact'),
    T('free_text_pii', '含个人信息的自由文本', 3,
      threshold=0.25,
      validators=('free_text_pii',),
      groups=('natural', 'personal'),
      mask='free_text',
      open_data_drop=True),
    T('revenue', '企业营收/产值/利润', 3,
      zh=('营业收入', '营收', '销售额', '销售收入', '产值', '利润', '营业额', '主营业务收入', '净利润', '工业总产值', '增加值', '经营收入', '成交额', '交易额'),
      initials=('yysr', 'xse', 'yye', 'zcz'),
      pinyin=('yingyeshouru', 'xiaoshoue'),
      en=('revenue', 'sales', 'turnover', 'profit', 'output_value', 'gmv'),
      validators=('number',),
      mask='range'),
    T('bank_card', '银行卡号', 4,
      zh=('银行卡号', '银行卡', '卡号', '借记卡', '信用卡号', '社保卡银行账号'),
      initials=('yhkh',),
      pinyin=('yinhangka',),
      en=('bank_card', 'card_no', 'card_number', 'bankcard', 'debit_card', 'credit_card'),
      threshold=0.6,
      priority=8,
      validators=('bank_card', 'digits'),
      groups=('direct', 'natural', 'identifying'),
      mask='keep_ends', mask_params={'head': 6, 'tail': 4},
      pseudonym='digits',
      text_label='[银行卡号]',
      text=r'62[0-9]{14,17}', text_bound='digit',
      check='luhn'),
    T('bank_account', '银行账号', 4,
      zh=('银行账号', '账号', '帐号', '基本户', '对公账户', '银行账户', '账户', '帐户', '结算账户', '开户账号', '收款账号', '付款账号'),
      initials=('yhzh', 'zh', 'jbhzh', 'dgzh'),
      pinyin=('zhanghao',),
      en=('account_no', 'bank_account', 'acct', 'acct_no', 'account_number', 'iban'),
      validators=('bank_card', 'digits'),
      groups=('sensitive',),
      mask='keep_ends', mask_params={'head': 0, 'tail': 4},
      pseudonym='digits'),
    T('income', '个人收入', 4,
      zh=('工资', '薪资', '薪酬', '薪水', '收入', '缴费基数', '基数', '应发', '实发', '年薪', '月薪', '奖金', '绩效', '期望薪资', '家庭收入', '人均收入', '养老金', '退休金', '津贴', '社保基数', '奖', '报酬', '酬金', '提成', '佣金', '退休费', '离休费', '税前'),
      initials=('gz', 'jbgz', 'jxgz', 'yfgz', 'sfgz', 'jfjs', 'jnjs', 'sbjs', 'grsr', 'jtsr', 'xc'),
      pinyin=('gongzi', 'shouru', 'xinzi'),
      en=('salary', 'wage', 'wages', 'income', 'pay', 'expected_salary', 'base_salary', 'bonus', 'payroll', 'commission', 'allowance', 'pension', 'remuneration'),
      validators=('number',),
      groups=('sensitive', 'natural'),
      mask='range'),
    T('medical_info', '病历/诊断/健康', 4,
      zh=('诊断编码', '诊断名称', '诊断代码', '疾病编码', '疾病名称', '疾病代码', '诊断', '病历', '病史', '病情', '疾病', '病名', '健康状况', '健康', '残疾', '主诉', '症状', '过敏', '体检', '疫苗', '接种', '用药', '手术', 'icd', '既往史', '检查结果', '伤残', '传染病', '慢性病', '检验', '处方', '医嘱', '孕', '护理等级', '失能', '照护'),
      initials=('zdmc', 'zdbm', 'jkzk', 'cjlb'),
      pinyin=('zhenduan', 'jiankang'),
      en=('diagnosis', 'disease', 'icd', 'icd10', 'symptom', 'health', 'medical', 'allergy', 'chief_complaint', 'illness', 'disability', 'vaccine', 'care', 'nursing'),
      threshold=0.6,
      priority=4,
      validators=('care', 'health', 'icd', 'medical_words', 'org_unit'),
      groups=('sensitive', 'natural'),
      mask='redact'),
    T('criminal_record', '违法犯罪记录', 4,
      zh=('罪名', '刑罚', '判处', '刑期', '犯罪', '违法', '前科', '矫正类别', '服刑', '判决', '案由', '违法行为', '处罚决定', '吸毒', '涉案'),
      initials=('zm', 'jzlb'),
      pinyin=('zuiming',),
      en=('crime', 'criminal', 'offence', 'offense', 'sentence', 'conviction', 'charge'),
      threshold=0.6,
      priority=4,
      validators=('correction', 'crime_words'),
      groups=('sensitive', 'natural'),
      mask='redact'),
    T('religion', '宗教信仰', 4,
      zh=('宗教信仰', '宗教', '信仰'),
      initials=('zjxy',),
      pinyin=('zongjiao',),
      en=('religion', 'faith'),
      threshold=0.85,
      validators=('religion', 'religion_marker'),
      groups=('sensitive', 'natural'),
      mask='redact'),
    T('credential', '密码/密钥', 4,
      zh=('密码', '口令', '密钥', '令牌', '秘钥', '私钥', '验证码', 'token'),
      initials=('mm',),
      pinyin=('mima',),
      en=('password', 'pwd', 'passwd', 'secret', 'token', 'api_key', 'private_key', 'credential', 'pwd_md5', 'password_hash', 'pass_hash', 'salt', 'access_key', 'secret_key'),
      threshold=0.6,
      priority=6,
      mask='never',
      never_shown=True,
      groups=('personal',)),
    T('gps_coordinate', '经纬度', 4,
      zh=('经纬度', '坐标', '经度', '纬度', '定位', 'gps', '轨迹'),
      initials=('jwd',),
      pinyin=('jingweidu', 'jingdu', 'weidu', 'zuobiao'),
      en=('lat', 'lng', 'lon', 'latitude', 'longitude', 'coord', 'coords', 'coordinate', 'gps', 'geo', 'location', 'lnglat', 'latlng'),
      threshold=0.6,
      priority=6,
      validators=('coord', 'coord_cn', 'gps_pair'),
      groups=('sensitive',),
      mask='coordinates', mask_params={'decimals': 2}),
    T('license_plate', '机动车号牌', 3,
      zh=('车牌号码', '车牌号', '车牌', '号牌号码', '号牌', '车号'),
      initials=('cph', 'cphm', 'hphm', 'hp'),
      pinyin=('chepai', 'haopai'),
      en=('plate', 'plate_no', 'license_plate', 'plate_number', 'car_no', 'vehicle_no'),
      threshold=0.5,
      priority=6,
      groups=('direct', 'identifying'),
      mask='keep_ends', mask_params={'head': 2, 'tail': 2},
      text_label='[车牌]',
      text=_PLATE_TEXT, text_bound='none',
      open_data_drop=True),
    T('vin', '车辆识别代号', 3,
      zh=('车辆识别代号', '车辆识别码', '车架号', 'vin'),
      initials=('clsbdh', 'cjh'),
      pinyin=('chejiahao',),
      en=('vin', 'vin_code', 'chassis_no', 'frame_no'),
      threshold=0.6,
      priority=8,
      validators=('vin_check', 'vin_format'),
      mask='keep_ends', mask_params={'head': 3, 'tail': 4},
      pseudonym='token',
      groups=('personal',)),
    T('ip_address', 'IP地址', 2,
      zh=('ip地址', 'ip', '登录ip'),
      en=('ip', 'ip_address', 'ip_addr', 'ipaddr', 'client_ip', 'last_ip', 'assigned_ip', 'src_ip', 'login_ip'),
      threshold=0.6,
      priority=6,
      groups=('quasi',),
      mask='regex', mask_params={'pattern': '^\\s*([0-9]+\\.[0-9]+)\\.[0-9]+\\.[0-9]+\\s*$', 'replacement': '\\1.*.*'}),
    T('mac_address', 'MAC地址', 3,
      zh=('mac地址', 'mac', '物理地址'),
      en=('mac', 'mac_address', 'mac_addr', 'terminal_mac', 'ap_mac', 'bssid'),
      threshold=0.6,
      priority=6,
      groups=('quasi',),
      mask='regex', mask_params={'pattern': '^\\s*([0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}).*$', 'replacement': '\\1:**:**:**'}),
    T('imei', 'IMEI', 3,
      zh=('imei', '设备识别码', '终端识别码', '串号', 'meid'),
      pinyin=('imei',),
      en=('imei', 'meid', 'device_imei'),
      threshold=0.7,
      priority=8,
      groups=('direct', 'identifying'),
      mask='keep_ends', mask_params={'head': 6, 'tail': 2},
      pseudonym='digits',
      check='luhn'),
    T('uscc', '统一社会信用代码', 1,
      zh=('统一社会信用代码', '社会信用代码', '信用代码', '纳税人识别号', '税号', '统一代码'),
      initials=('tyshxydm', 'shxydm', 'xydm', 'nsrsbh', 'tydm'),
      pinyin=('xinyongdaima',),
      en=('uscc', 'credit_code', 'social_credit_code', 'unified_code', 'tax_id', 'taxpayer_id'),
      threshold=0.6,
      priority=9,
      groups=('legal_key', 'published'),
      mask='keep_ends', mask_params={'head': 8, 'tail': 2},
      check='uscc'),
    T('org_code', '组织机构代码', 1,
      zh=('组织机构代码', '机构代码'),
      initials=('zzjgdm', 'jgdm'),
      pinyin=('jigoudaima',),
      en=('org_code', 'organization_code', 'organisation_code'),
      threshold=0.7,
      priority=7,
      groups=('legal_key', 'published'),
      mask='keep_ends', mask_params={'head': 2, 'tail': 2}),
    T('business_reg_no', '工商注册号', 1,
      zh=('注册号', '工商注册号', '营业执照号', '营业执照注册号'),
      initials=('zch', 'yyzzh'),
      pinyin=('zhucehao',),
      en=('reg_no', 'registration_no', 'business_license_no', 'license_no'),
      threshold=0.7,
      priority=7,
      groups=('legal_key', 'published'),
      mask='keep_ends', mask_params={'head': 6, 'tail': 2}),
    T('company_name', '单位/企业名称', 1,
      threshold=0.6,
      priority=3,
      validators=('company_name', 'government'),
      groups=('published',),
      mask='keep_ends', mask_params={'head': 3, 'tail': 2}),
    T('legal_representative', '法定代表人', 1,
      zh=('法定代表人', '法人代表', '法人姓名', '法人', '法定代表', '负责人（法人）'),
      initials=('fddbr', 'fr', 'frdb', 'frxm'),
      pinyin=('fadingdaibiaoren', 'faren'),
      en=('legal_rep', 'legal_person', 'legal_representative', 'legalrep', 'corporate_rep'),
      validators=('person_name',),
      groups=('published',),
      mask='name',
      decoy='name',
      open_data_drop=True),
    T('tax_amount', '纳税额', 3,
      zh=('税额', '纳税额', '应纳税', '已缴税', '所得税', '税款', '缴税', '减免税', '退税', '税金', '入库税', '税收', '个税'),
      initials=('se', 'nse', 'ynse', 'yjse', 'jmse', 'grsds'),
      pinyin=('shuie', 'nashui'),
      en=('tax', 'tax_amount', 'tax_paid', 'tax_due', 'income_tax'),
      validators=('number',),
      mask='range',
      groups=('personal',)),
)
BY_CODE: Mapping[str, SensitiveType] = MappingProxyType({t.code: t for t in TYPES})


def get(code: str) -> SensitiveType:
    """The record of ``code`` (KeyError for an unknown code)."""
    return BY_CODE[code]


def in_group(group: str) -> frozenset[str]:
    """Codes of the types in ``group`` (one of :data:`GROUPS`)."""
    if group not in GROUPS:
        raise KeyError(group)
    return frozenset(t.code for t in TYPES if group in t.groups)


def levels() -> dict[str, int]:
    return {t.code: t.level for t in TYPES}


def names_zh() -> dict[str, str]:
    return {t.code: t.name_zh for t in TYPES}


def text_types() -> tuple[SensitiveType, ...]:
    """Types with a free-text pattern, in registry order."""
    return tuple(t for t in TYPES if t.text)
