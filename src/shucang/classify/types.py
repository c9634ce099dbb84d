"""The sensitive-type registry: one record per type, the only place a type is defined.

Every stage derives what it needs from these records: the classifier its header vocabulary (Chinese,
pinyin, initials — more initials are derived from the Chinese words, see :mod:`initials` — and
English), the value detectors that count for the type and the share they need, tie-break priority;
grading its default level and the groups the context rules use; the free-text entity pattern used
both to find and to redact identifiers inside text (and, for names and addresses, the patterns that
find them by their context, built from :mod:`typedata`); how the values alone claim the type and how
well they fit it when a header names it (the rules :mod:`detect` applies to every record alike); and,
for protection, the *names* of the masking
rule (with its parameters), of the pseudonym shape and of the decoy generator. The classify stage
must not import protect, so a record holds rule names and parameters only; ``protect`` maps each name
to its function (:data:`shucang.protect.masking.STRATEGIES`, ``pseudonym.SHAPES``,
``decoys.column_kind``). Adding a type is one record here plus its tests — see docs/classification.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from shucang.classify import typedata as TD

GROUPS = ("direct", "quasi", "sensitive", "personal", "legal_key", "published", "natural", "identifying",
          "sensitive_pi", "amount", "category", "k_anon")
"""direct identifier · quasi-identifier · sensitive attribute · other personal data · identifies a legal
person · published legal-person data · marks a natural person as the table's subject · names a person
on its own in a leaked file (a file extract releasing one as stored gets decoy rows) · sensitive
personal information (GB/T 35273, PIPL Art. 28: level 4 under GB/T 43697) · an amount of money (the
header tells income, revenue and tax apart; ``X合计`` is an amount of X; an extract's fingerprint may
perturb it) · a category attribute (``X等级``/``X类别`` is a grade of X: 残疾等级 is health data) ·
generalised for k-anonymity in an open-data release when the publisher names no quasi-identifiers."""
COMPANY_CONTEXT = "company_ctx"
"""The header concept of 单位/企业名称 words (a company name if the values are company names)."""
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_ID_TEXT = r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"
_PLATE_TEXT = "[" + PLATE_PROVINCES + "][A-HJ-NP-Z][A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳]"
# what may touch a free-text entity on either side
_BOUNDS = {"digit": ("[^0-9]", "[^0-9]"), "alnum": ("[^0-9A-Za-z]", "[^0-9A-Za-z]"), "none": ("", "")}


class Evidence:
    """What a column shows, as the records' rules read it: ``v["number"]`` is the share of values the
    ``number`` detector accepts (0 when not measured); the rest are facts about the values and header."""

    def __init__(self, shares: Mapping[str, float], facts: Mapping[str, Any], *, n: int,
                 header: str | None = None, head: str | None = None, guessed: bool = False,
                 distinct: Callable[[], int] | None = None) -> None:
        self._shares = shares
        self._facts = facts
        self.n = n
        """Non-blank values."""
        self.header = header
        """The type the header names (None: none)."""
        self.head = head
        """The header's head concept (a type code, or a :mod:`vocab` concept such as :data:`COMPANY_CONTEXT`)."""
        self.guessed = guessed
        """The header was read as pinyin initials after an unknown leading syllable (a guess)."""
        self._distinct = distinct
        self._kinds: int | None = None

    def __getitem__(self, detector: str) -> float:
        return float(self._shares.get(detector, 0.0))

    @property
    def avg_len(self) -> float:
        return float(self._facts.get("avg_len", 0.0))

    @property
    def serial(self) -> bool:
        """The 11-digit values are a running serial number, not phone numbers."""
        return bool(self._facts.get("serial"))

    @property
    def kinds(self) -> int:
        """Distinct values (counted once, when a rule first asks)."""
        if self._kinds is None:
            self._kinds = self._distinct() if self._distinct else self.n
        return self._kinds

    def diverse(self, ratio: float) -> bool:
        """Few values, or at least ``ratio`` of them distinct (names vary; a category column repeats)."""
        return self.n < 30 or self.kinds / max(1, self.n) >= ratio


Rule = Callable[[Evidence], float]


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
    words: frozenset[str] = frozenset()
    """The values that name the type itself (汉族, 已婚, 佛教; in :mod:`typedata`): its dictionary detector,
    named like it, counts the share of values among them."""
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
    text_in_context: tuple[str, ...] = ()
    """RE2 patterns, one group each (the entity), that find it in free text by what surrounds it (a
    surname after 来电人); found to count and to overwrite, not to redact by label."""
    values_say: Rule | None = None
    """The share with which a column's values alone claim the type (0: they do not). None: its own
    detector's share, when that reaches :attr:`threshold`."""
    fits_header: Rule | None = None
    """How well the values fit the type when a header names it and the values decided nothing (≥ 0.6
    settles it). None: a header alone never settles it."""
    header_means: Callable[[Evidence], str | None] | None = None
    """The sibling type a header naming this one really means, given the values (手机 over 7-digit
    local numbers: a landline); None or a None result: this one."""
    header_vetoes: bool = False
    """Values that look like it are overruled by a header naming something else (版本号 looks like an IP
    address, 文件MD5 like a password hash). Never for checksummed identifiers."""
    refines: str | None = None
    """The type it is a role of (a legal representative is a person's name): that type's values under a
    header naming this one are this one."""
    gives_way_below: float | None = None
    """Below this share, another type the values show at 0.5 or more wins over it (free text)."""
    full_scan_hunt: bool = False
    """A full scan re-measures every value of a column the sample typed as nothing when the sample saw
    any value of it (an evenly spaced sample misses rare identifiers)."""
    carries: tuple[str, ...] = ()
    """Facts each value carries that other columns are checked against (an ID number: ``birth``, ``birth_year``,
    ``sex``)."""
    agrees_with: str | None = None
    """The carried fact a column of this type matches (a birth-date column agrees with the ``birth`` of
    the table's ID numbers)."""

    def claim(self, v: Evidence) -> float:
        """The share with which the values alone claim this type (0: they do not)."""
        if self.values_say is not None:
            return self.values_say(v)
        if self.threshold is None:
            return 0.0
        share = v[self.code]  # its own detector, named like it
        return share if share >= self.threshold else 0.0

    def fit(self, v: Evidence) -> float:
        """How well the values fit this type under a header naming it (0: a header cannot settle it)."""
        return self.fits_header(v) if self.fits_header is not None else 0.0

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


# ---------------------------------------------------------------------------------------------
# How values claim a type, and fit it under a header: the rules the records name (``values_say``,
# ``fits_header``). Shares are of non-blank values; the detectors are :func:`detect.value_shares`'.

def _amount(v: Evidence) -> float:
    # a guessed abbreviation over small counts (家庭人口数 jt·rks) is not money
    return 0.0 if v.guessed and v["int_small"] >= 0.5 else v["number"]


def _coded(code: str, bonus: float = 0.3) -> Rule:
    """A category column: its code values (GB/T code tables) or its words."""
    return lambda v: max(v["code2"], v[code] + bonus)


def _phone(mobile: bool) -> Rule:
    """Mobile and landline numbers count together; the more common kind names the column."""
    def rule(v: Evidence) -> float:
        mob, land = v["mobile_phone"], v["landline_phone"]
        if mob + land < 0.6 or v.serial or v["decimal"] >= 0.1 or (mob >= land) != mobile:
            return 0.0
        return mob + land
    return rule


_DOCUMENTS = ("passport", "travel_permit", "social_security_no")


def _document(code: str) -> Rule:
    """Letter + digits documents: the header says which; otherwise the leading letter."""
    def rule(v: Evidence) -> float:
        if v["doc_code"] < 0.6:
            return 0.0
        if v.header in _DOCUMENTS:
            return v["doc_code"] if v.header == code else 0.0
        for kind in _DOCUMENTS[:2]:
            if v[kind] >= (BY_CODE[kind].threshold or 0.0):
                return v[kind] if kind == code else 0.0
        return 0.0
    return rule


def _person(v: Evidence) -> float:
    """Diverse values (a category column of short words is not a name column); under a name header
    fewer need to look like names."""
    s = v["person_name"]
    need = 0.4 if v.header in ("person_name", "legal_representative") else 0.6
    return s if s >= need and v.diverse(0.2) else 0.0


def _company(v: Evidence) -> float:
    """Legal names, not government bodies (banks and shop display names are not counted at all)."""
    s = v["company_name"]
    return s if s >= (0.4 if v.head == COMPANY_CONTEXT else 0.6) and s > v["government"] else 0.0


def _gps(v: Evidence) -> float:
    pair = v["gps_pair"] if v["gps_pair"] >= 0.6 else 0.0
    axis = v["coord_cn"] if v["coord_cn"] >= 0.9 and v.diverse(0.5) else 0.0
    return max(pair, axis)


def _religion(v: Evidence) -> float:
    """The dictionary includes 无: at least one actual religion in the column, or a religion header."""
    s = v["religion"]
    return s if s >= 0.85 and (v["religion_marker"] > 0 or v.header == "religion") else 0.0


def _medical(v: Evidence) -> float:
    # ICD-10-shaped values alone are weak evidence (5G bands n78/n41, grid squares A12): a diagnosis
    # column either says so in its name or holds many different codes.
    icd, words = v["icd"], v["medical_words"]
    s = 0.0
    if (icd >= 0.7 and (v.header == "medical_info" or v.kinds >= 12)) or (words >= 0.6 and v["crime_words"] < 0.3):
        s = max(icd, words)
    if v["care"] >= 0.8:  # care and disability grades
        s = max(s, v["care"])
    if v["health"] >= 0.9 and (v.header == "medical_info" or words >= 0.05):
        s = max(s, v["health"])
    return s


def _criminal(v: Evidence) -> float:
    crime, correction = v["crime_words"], v["correction"]
    return max(crime, correction) if crime >= 0.6 or correction >= 0.9 else 0.0


def _vin(v: Evidence) -> float:
    s = v["vin_format"]
    return s if s >= 0.6 and (v["vin_check"] >= 0.5 or v.header == "vin") else 0.0


def _free_text(v: Evidence) -> float:
    s = v["free_text_pii"]
    return s if s >= 0.25 and v.avg_len >= 15 else 0.0


def _not_values(v: Evidence) -> float:
    """Words of a diagnosis or a sentence: anything but numbers, dates and names of wards or units."""
    return 1.0 - v["number"] - v["date"] - v["org_unit"]


def _own(code: str, weight: float = 2.0) -> Rule:
    """Under a header naming it, 1/weight of the values valid (or masked) is enough."""
    return lambda v: v[code] * weight


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
      open_data_drop=True,
      values_say=_person,
      fits_header=_own('person_name', 1.5),
      text_in_context=TD.PERSON_NAME_IN_TEXT),
    T('id_card', '居民身份证号', 4,
      zh=('身份证号码', '身份证号', '身份证', '公民身份号码', '证件号码', '证件号', '身份证明号码', '社会保障号码', '社会保障号', '证照号码', '居民身份证', '身份号码', '证件编号', '居住证号'),
      initials=('sfzh', 'sfz', 'sfzhm', 'zjhm', 'zjh', 'gmsfhm', 'shbzhm', 'sfhm'),
      pinyin=('shenfenzheng', 'zhengjianhaoma', 'zhengjianhao', 'shenfenhao'),
      en=('id_card', 'idcard', 'id_no', 'id_number', 'idno', 'identity', 'identity_no', 'citizen_id', 'national_id', 'cert_no', 'certificate_no', 'resident_id', 'idcard_no', 'id_card_no', 'sfzh'),
      threshold=0.5,
      priority=9,
      groups=('direct', 'natural', 'identifying', 'sensitive_pi'),
      mask='keep_ends', mask_params={'head': 6, 'tail': 4},
      pseudonym='id18',
      decoy='id',
      text_label='[身份证号]',
      text=_ID_TEXT, text_bound='alnum',
      fits_header=_own('id_card'),
      full_scan_hunt=True,
      carries=('birth', 'birth_year', 'sex')),
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
      pseudonym='token',
      values_say=_document('passport'),
      fits_header=lambda v: max(v['doc_code'], v['alnum_code'])),
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
      decoy='id',
      values_say=_document('travel_permit'),
      fits_header=lambda v: max(v['doc_code'], v['alnum_code'])),
    T('social_security_no', '社保卡/医保卡号', 4,
      zh=('社保卡号', '社保号', '医保卡号', '医保号', '社会保障卡号', '个人编号', '参保号', '参保编号', '医保编号', '社保编号', '个人社保号', '市民卡号', '就诊卡号'),
      initials=('sbkh', 'ybkh', 'grbh', 'sbh', 'cbh'),
      pinyin=('shebaoka',),
      en=('ssn', 'social_security', 'insurance_no', 'si_card', 'medicare_no', 'social_card', 'social_security_card'),
      validators=('alnum_code', 'doc_code'),
      groups=('direct', 'natural', 'identifying'),
      mask='keep_ends', mask_params={'head': 6, 'tail': 4},
      pseudonym='id18',
      decoy='id',
      values_say=_document('social_security_no'),
      fits_header=lambda v: max(v['alnum_code'], v['doc_code'])),
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
      text=r'(?:(?:\+|00)?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]){8}', text_bound='digit',
      values_say=_phone(mobile=True),
      fits_header=lambda v: v['mobile_phone'] + v['landline_phone'] + v['local_phone'],
      header_means=lambda v: 'landline_phone' if v['local_phone'] >= 0.5 else None,
      full_scan_hunt=True),
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
      text=r'\(?0[1-9][0-9]{1,2}\)?[- ]?[2-9][0-9]{6,7}', text_bound='digit',
      values_say=_phone(mobile=False),
      fits_header=lambda v: v['mobile_phone'] + v['landline_phone'] + v['local_phone']),
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
      open_data_drop=True,
      fits_header=_own('email'),
      full_scan_hunt=True),
    T('address', '地址', 3,
      zh=('地址', '住址', '住所', '居住地', '户籍地', '所在地', '建设地点', '地点', '详细地址', '门牌', '暂住地', '现住址', '通讯地址', '通信地址', '经营场所', '住所地', '出生地', '籍贯地址'),
      initials=('dz', 'zz', 'zs', 'hjdz', 'jtzz', 'xzz', 'jzdz', 'zzdz', 'txdz', 'jydz', 'hjd'),
      pinyin=('zhuzhi', 'dizhi', 'zhusuo'),
      en=('address', 'addr', 'home_address', 'street', 'residence', 'home_addr', 'location_address'),
      threshold=0.5,
      priority=3,
      validators=('address',),
      groups=('quasi', 'published', 'identifying', 'k_anon'),
      mask='address',
      open_data_drop=True,
      fits_header=_own('address', 1.5),
      text_in_context=TD.ADDRESS_IN_TEXT),
    T('postal_code', '邮政编码', 1,
      zh=('邮政编码', '邮编'),
      initials=('yzbm', 'yb'),
      pinyin=('youbian', 'youzhengbianma'),
      en=('postcode', 'post_code', 'zip', 'zipcode', 'zip_code', 'postal_code', 'postalcode'),
      validators=('postal',),
      groups=('quasi', 'published', 'k_anon'),
      mask='keep_ends', mask_params={'head': 3, 'tail': 0},
      fits_header=lambda v: v['postal']),
    T('birth_date', '出生日期', 3,
      zh=('出生日期', '出生年月', '出生年月日', '生日', '出生时间', '出生'),
      initials=('csrq', 'csny'),
      pinyin=('chusheng', 'shengri'),
      en=('birth', 'birthday', 'dob', 'birth_date', 'birth_month', 'birthdate', 'date_of_birth', 'born'),
      validators=('date', 'datetime'),
      groups=('quasi', 'natural', 'k_anon'),
      mask='year',
      fits_header=lambda v: v['date'] - v['datetime'],
      agrees_with='birth'),
    T('age', '年龄', 2,
      zh=('年龄', '周岁', '岁数'),
      initials=('nl',),
      pinyin=('nianling',),
      en=('age',),
      validators=('int_small',),
      groups=('quasi', 'k_anon'),
      mask='age_band', mask_params={'width': 10},
      fits_header=lambda v: v['int_small'],
      agrees_with='birth_year'),
    T('gender', '性别', 2,
      zh=('性别',),
      initials=('xb',),
      pinyin=('xingbie',),
      en=('sex', 'gender'),
      threshold=0.8,
      words=TD.GENDER_VALUES,
      validators=('gender', 'gender_code'),
      groups=('quasi', 'category', 'k_anon'),
      mask='redact', mask_params={'replacement': '*'},
      fits_header=lambda v: max(v['gender_code'], v['gender']),
      agrees_with='sex'),
    T('ethnicity', '民族', 3,
      zh=('民族', '族别'),
      initials=('mz',),
      pinyin=('minzu',),
      en=('ethnicity', 'ethnic', 'nation', 'nationality_ethnic', 'race'),
      threshold=0.8,
      words=TD.ETHNICITY_VALUES,
      validators=('code2', 'ethnicity'),
      groups=('quasi', 'category', 'k_anon'),
      mask='redact',
      fits_header=_coded('ethnicity')),
    T('marital_status', '婚姻状况', 3,
      zh=('婚姻状况', '婚姻状态', '婚姻', '婚否'),
      initials=('hyzk',),
      pinyin=('hunyin',),
      en=('marital', 'marital_status', 'marriage'),
      threshold=0.8,
      words=TD.MARITAL_VALUES,
      validators=('code2', 'marital_status'),
      groups=('quasi', 'category', 'k_anon'),
      mask='redact',
      fits_header=_coded('marital_status')),
    T('political_status', '政治面貌', 3,
      zh=('政治面貌', '党派', '党员类别', '党籍'),
      initials=('zzmm',),
      pinyin=('zhengzhimianmao',),
      en=('political', 'political_status', 'party', 'party_member', 'politics'),
      threshold=0.8,
      words=TD.POLITICAL_VALUES,
      validators=('code2', 'political_status'),
      groups=('quasi', 'sensitive', 'category', 'k_anon', 'sensitive_pi'),
      mask='redact',
      fits_header=_coded('political_status')),
    T('education_level', '学历', 2,
      zh=('学历', '文化程度', '受教育程度', '学位', '最高学历', '文化水平'),
      initials=('whcd', 'xl', 'xw'),
      pinyin=('xueli', 'wenhuachengdu'),
      en=('education', 'edu', 'degree', 'edu_level', 'education_level', 'diploma'),
      threshold=0.8,
      words=TD.EDUCATION_VALUES,
      validators=('code2', 'education_level'),
      groups=('quasi', 'category', 'k_anon'),
      mask='redact',
      fits_header=_coded('education_level')),
    T('free_text_pii', '含个人信息的自由文本', 3,
      threshold=0.25,
      validators=('free_text_pii',),
      groups=('natural', 'personal'),
      mask='free_text',
      open_data_drop=True,
      values_say=_free_text,
      gives_way_below=0.5),
    T('revenue', '企业营收/产值/利润', 3,
      zh=('营业收入', '营收', '销售额', '销售收入', '产值', '利润', '营业额', '主营业务收入', '净利润', '工业总产值', '增加值', '经营收入', '成交额', '交易额'),
      initials=('yysr', 'xse', 'yye', 'zcz'),
      pinyin=('yingyeshouru', 'xiaoshoue'),
      en=('revenue', 'sales', 'turnover', 'profit', 'output_value', 'gmv'),
      validators=('number',),
      groups=('amount',),
      mask='range',
      fits_header=_amount),
    T('bank_card', '银行卡号', 4,
      zh=('银行卡号', '银行卡', '卡号', '借记卡', '信用卡号', '社保卡银行账号'),
      initials=('yhkh',),
      pinyin=('yinhangka',),
      en=('bank_card', 'card_no', 'card_number', 'bankcard', 'debit_card', 'credit_card'),
      threshold=0.6,
      priority=8,
      validators=('bank_card', 'digits'),
      groups=('direct', 'natural', 'identifying', 'sensitive_pi'),
      mask='keep_ends', mask_params={'head': 6, 'tail': 4},
      pseudonym='digits',
      text_label='[银行卡号]',
      text=r'62[0-9]{14,17}', text_bound='digit',
      check='luhn',
      fits_header=lambda v: v['digits'],
      header_means=lambda v: 'bank_account' if v['bank_card'] < 0.3 else None,
      full_scan_hunt=True),
    T('bank_account', '银行账号', 4,
      zh=('银行账号', '账号', '帐号', '基本户', '对公账户', '银行账户', '账户', '帐户', '结算账户', '开户账号', '收款账号', '付款账号'),
      initials=('yhzh', 'zh', 'jbhzh', 'dgzh'),
      pinyin=('zhanghao',),
      en=('account_no', 'bank_account', 'acct', 'acct_no', 'account_number', 'iban'),
      validators=('bank_card', 'digits'),
      groups=('sensitive', 'sensitive_pi'),
      mask='keep_ends', mask_params={'head': 0, 'tail': 4},
      pseudonym='digits',
      fits_header=lambda v: v['digits']),
    T('income', '个人收入', 4,
      zh=('工资', '薪资', '薪酬', '薪水', '收入', '缴费基数', '基数', '应发', '实发', '年薪', '月薪', '奖金', '绩效', '期望薪资', '家庭收入', '人均收入', '养老金', '退休金', '津贴', '社保基数', '奖', '报酬', '酬金', '提成', '佣金', '退休费', '离休费', '税前'),
      initials=('gz', 'jbgz', 'jxgz', 'yfgz', 'sfgz', 'jfjs', 'jnjs', 'sbjs', 'grsr', 'jtsr', 'xc'),
      pinyin=('gongzi', 'shouru', 'xinzi'),
      en=('salary', 'wage', 'wages', 'income', 'pay', 'expected_salary', 'base_salary', 'bonus', 'payroll', 'commission', 'allowance', 'pension', 'remuneration'),
      validators=('number',),
      groups=('sensitive', 'natural', 'amount', 'sensitive_pi'),
      mask='range',
      fits_header=_amount),
    T('medical_info', '病历/诊断/健康', 4,
      zh=('诊断编码', '诊断名称', '诊断代码', '疾病编码', '疾病名称', '疾病代码', '诊断', '病历', '病史', '病情', '疾病', '病名', '健康状况', '健康', '残疾', '主诉', '症状', '过敏', '体检', '疫苗', '接种', '用药', '手术', 'icd', '既往史', '检查结果', '伤残', '传染病', '慢性病', '检验', '处方', '医嘱', '孕', '护理等级', '失能', '照护'),
      initials=('zdmc', 'zdbm', 'jkzk', 'cjlb'),
      pinyin=('zhenduan', 'jiankang'),
      en=('diagnosis', 'disease', 'icd', 'icd10', 'symptom', 'health', 'medical', 'allergy', 'chief_complaint', 'illness', 'disability', 'vaccine', 'care', 'nursing'),
      threshold=0.6,
      priority=4,
      validators=('care', 'health', 'icd', 'medical_words', 'org_unit'),
      groups=('sensitive', 'natural', 'category', 'sensitive_pi'),
      mask='redact',
      values_say=_medical,
      fits_header=_not_values),
    T('criminal_record', '违法犯罪记录', 4,
      zh=('罪名', '刑罚', '判处', '刑期', '犯罪', '违法', '前科', '矫正类别', '服刑', '判决', '案由', '违法行为', '处罚决定', '吸毒', '涉案'),
      initials=('zm', 'jzlb'),
      pinyin=('zuiming',),
      en=('crime', 'criminal', 'offence', 'offense', 'sentence', 'conviction', 'charge'),
      threshold=0.6,
      priority=4,
      validators=('correction', 'crime_words'),
      groups=('sensitive', 'natural', 'category', 'sensitive_pi'),
      mask='redact',
      values_say=_criminal,
      fits_header=_not_values),
    T('religion', '宗教信仰', 4,
      zh=('宗教信仰', '宗教', '信仰'),
      initials=('zjxy',),
      pinyin=('zongjiao',),
      en=('religion', 'faith'),
      threshold=0.85,
      words=TD.RELIGION_VALUES,
      validators=('religion', 'religion_marker'),
      groups=('sensitive', 'natural', 'category', 'sensitive_pi'),
      mask='redact',
      values_say=_religion,
      fits_header=lambda v: v['religion'] + 0.2),
    T('credential', '密码/密钥', 4,
      zh=('密码', '口令', '密钥', '令牌', '秘钥', '私钥', '验证码', 'token'),
      initials=('mm',),
      pinyin=('mima',),
      en=('password', 'pwd', 'passwd', 'secret', 'token', 'api_key', 'private_key', 'credential', 'pwd_md5', 'password_hash', 'pass_hash', 'salt', 'access_key', 'secret_key'),
      threshold=0.6,
      priority=6,
      mask='never',
      never_shown=True,
      groups=('personal',),
      fits_header=lambda v: 1.0 if v.n else 0.0,
      header_vetoes=True),
    T('gps_coordinate', '经纬度', 4,
      zh=('经纬度', '坐标', '经度', '纬度', '定位', 'gps', '轨迹'),
      initials=('jwd',),
      pinyin=('jingweidu', 'jingdu', 'weidu', 'zuobiao'),
      en=('lat', 'lng', 'lon', 'latitude', 'longitude', 'coord', 'coords', 'coordinate', 'gps', 'geo', 'location', 'lnglat', 'latlng'),
      threshold=0.6,
      priority=6,
      validators=('coord', 'coord_cn', 'gps_pair'),
      groups=('sensitive', 'k_anon', 'sensitive_pi'),
      mask='coordinates', mask_params={'decimals': 2},
      values_say=_gps,
      fits_header=lambda v: max(v['coord'], v['gps_pair'], v['coord_cn'])),
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
      open_data_drop=True,
      fits_header=_own('license_plate')),
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
      groups=('personal',),
      values_say=_vin,
      fits_header=lambda v: v['vin_format']),
    T('ip_address', 'IP地址', 2,
      zh=('ip地址', 'ip', '登录ip'),
      en=('ip', 'ip_address', 'ip_addr', 'ipaddr', 'client_ip', 'last_ip', 'assigned_ip', 'src_ip', 'login_ip'),
      threshold=0.6,
      priority=6,
      groups=('quasi',),
      mask='regex', mask_params={'pattern': '^\\s*([0-9]+\\.[0-9]+)\\.[0-9]+\\.[0-9]+\\s*$', 'replacement': '\\1.*.*'},
      fits_header=_own('ip_address'),
      header_vetoes=True),
    T('mac_address', 'MAC地址', 3,
      zh=('mac地址', 'mac', '物理地址'),
      en=('mac', 'mac_address', 'mac_addr', 'terminal_mac', 'ap_mac', 'bssid'),
      threshold=0.6,
      priority=6,
      groups=('quasi',),
      mask='regex', mask_params={'pattern': '^\\s*([0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}).*$', 'replacement': '\\1:**:**:**'},
      fits_header=_own('mac_address')),
    T('imei', 'IMEI', 3,
      zh=('imei', '设备识别码', '终端识别码', '串号', 'meid'),
      pinyin=('imei',),
      en=('imei', 'meid', 'device_imei'),
      threshold=0.7,
      priority=8,
      groups=('direct', 'identifying'),
      mask='keep_ends', mask_params={'head': 6, 'tail': 2},
      pseudonym='digits',
      check='luhn',
      fits_header=lambda v: v['digits']),
    T('uscc', '统一社会信用代码', 1,
      zh=('统一社会信用代码', '社会信用代码', '信用代码', '纳税人识别号', '税号', '统一代码'),
      initials=('tyshxydm', 'shxydm', 'xydm', 'nsrsbh', 'tydm'),
      pinyin=('xinyongdaima',),
      en=('uscc', 'credit_code', 'social_credit_code', 'unified_code', 'tax_id', 'taxpayer_id'),
      threshold=0.6,
      priority=9,
      groups=('legal_key', 'published'),
      mask='keep_ends', mask_params={'head': 8, 'tail': 2},
      check='uscc',
      fits_header=_own('uscc')),
    T('org_code', '组织机构代码', 1,
      zh=('组织机构代码', '机构代码'),
      initials=('zzjgdm', 'jgdm'),
      pinyin=('jigoudaima',),
      en=('org_code', 'organization_code', 'organisation_code'),
      threshold=0.7,
      priority=7,
      groups=('legal_key', 'published'),
      mask='keep_ends', mask_params={'head': 2, 'tail': 2},
      fits_header=_own('org_code')),
    T('business_reg_no', '工商注册号', 1,
      zh=('注册号', '工商注册号', '营业执照号', '营业执照注册号'),
      initials=('zch', 'yyzzh'),
      pinyin=('zhucehao',),
      en=('reg_no', 'registration_no', 'business_license_no', 'license_no'),
      threshold=0.7,
      priority=7,
      groups=('legal_key', 'published'),
      mask='keep_ends', mask_params={'head': 6, 'tail': 2},
      fits_header=_own('business_reg_no')),
    T('company_name', '单位/企业名称', 1,
      threshold=0.6,
      priority=3,
      validators=('company_name', 'government'),
      groups=('published',),
      mask='keep_ends', mask_params={'head': 3, 'tail': 2},
      values_say=_company),
    T('legal_representative', '法定代表人', 1,
      zh=('法定代表人', '法人代表', '法人姓名', '法人', '法定代表', '负责人（法人）'),
      initials=('fddbr', 'fr', 'frdb', 'frxm'),
      pinyin=('fadingdaibiaoren', 'faren'),
      en=('legal_rep', 'legal_person', 'legal_representative', 'legalrep', 'corporate_rep'),
      validators=('person_name',),
      groups=('published',),
      mask='name',
      decoy='name',
      open_data_drop=True,
      fits_header=_own('person_name', 1.5),
      refines='person_name'),
    T('tax_amount', '纳税额', 3,
      zh=('税额', '纳税额', '应纳税', '已缴税', '所得税', '税款', '缴税', '减免税', '退税', '税金', '入库税', '税收', '个税'),
      initials=('se', 'nse', 'ynse', 'yjse', 'jmse', 'grsds'),
      pinyin=('shuie', 'nashui'),
      en=('tax', 'tax_amount', 'tax_paid', 'tax_due', 'income_tax'),
      validators=('number',),
      mask='range',
      groups=('personal', 'amount'),
      fits_header=_amount),
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


def refinements(code: str | None) -> tuple[str, ...]:
    """Codes of the types that are a role of ``code`` (``legal_representative`` of ``person_name``)."""
    return tuple(t.code for t in TYPES if code and t.refines == code)


def carrying(fact: str) -> frozenset[str]:
    """Codes of the types whose values carry ``fact`` (``birth``: the ID number)."""
    return frozenset(t.code for t in TYPES if fact in t.carries)


def agreeing(fact: str) -> tuple[str, ...]:
    """Codes of the types whose columns are checked against the carried ``fact`` (registry order)."""
    return tuple(t.code for t in TYPES if t.agrees_with == fact)


def text_types() -> tuple[SensitiveType, ...]:
    """Types with a free-text pattern, in registry order."""
    return tuple(t for t in TYPES if t.text)
