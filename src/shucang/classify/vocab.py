"""What column names and cell values mean: the vocabulary behind classification.

Two halves. **Names**: the words departments use in headers — Chinese (身份证号码), pinyin initials
(sfzh, lxrsj, tyshxydm), full pinyin (shenfenzhenghao) and English (id_card) — each mapped to a
*concept*: a type code, ``"null"`` (an attribute that is not sensitive: dates, states, kinds, org
units), or ``"mod"`` (a modifier such as 法定代表人 in 法定代表人身份证号). A header is read like a
Chinese noun phrase: the concept that ends last is its head. **Values**: the dictionaries of value
detectors that are not one type's own: health and criminal-justice words, care grades, names of
organisational units, companies, government bodies and banks. (Surnames, address words and the values
of ethnicity, gender, marital, political, education status and religion are their records' own, in
:mod:`shucang.classify.typedata`.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from shucang.classify import types as ST
from shucang.classify.initials import initials_of

# ----------------------------------------------------------------------------------------------
# Names
# ----------------------------------------------------------------------------------------------

NULL = "null"
MOD = "mod"
TEXT = "text"  # free-text columns (备注, 内容): decided by their values
COMPANY_CTX = ST.COMPANY_CONTEXT  # 单位/名称 words: a company name if the values are company names

# names of digest algorithms: a column named after one holds digests (of files, of records), unless the
# header says of what (``password_md5`` is a credential: they are read as a tail, see EN_TAILS)
DIGEST_NAMES = ("md5", "sha", "sha1", "sha256", "sha512", "sm3", "hash", "crc32")

# concept → Chinese keywords. Longest match wins at the same end position.
_ZH: dict[str, tuple[str, ...]] = {
    **{t.code: t.zh for t in ST.TYPES if t.zh},
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
    **{spelling: t.code for t in ST.TYPES for spelling in t.initials},
    "yhm": NULL, "jbh": MOD, "qymc": COMPANY_CTX, "dwmc": COMPANY_CTX, "gzdw": COMPANY_CTX, "nsrmc": COMPANY_CTX,
    "qy": COMPANY_CTX, "dw": COMPANY_CTX, "rq": NULL, "djsj": NULL, "djrq": NULL, "clrq": NULL, "rdrq": NULL,
    "zzrq": NULL, "yxq": NULL, "yxqz": NULL, "yxqx": NULL, "zt": NULL, "djzt": NULL, "ryzt": NULL, "lx": NULL,
    "qylx": NULL, "lb": NULL, "rylb": NULL, "bh": NULL, "dm": NULL, "hh": NULL, "gx": NULL, "yhzgx": NULL,
    "ssjz": NULL, "sscs": NULL, "jz": NULL, "sq": NULL, "zczb": NULL, "szdzb": NULL, "dzb": NULL, "gzgw": NULL,
    "gw": NULL, "zw": NULL, "bm": NULL, "je": NULL, "fy": NULL, "mc": NULL, "id": NULL, "xh": NULL, "ny": NULL,
    "rzsj": NULL, "lksj": NULL, "cjsj": NULL, "gxsj": NULL, "nd": NULL, "df": MOD, "zy": NULL, "hk": NULL,
    "bz": TEXT, "nr": TEXT, "ms": TEXT,
}

# Full pinyin fragments (searched as substrings).
_PINYIN: dict[str, str] = {
    **{spelling: t.code for t in ST.TYPES for spelling in t.pinyin},
    "qiyemingcheng": COMPANY_CTX, "danwei": COMPANY_CTX, "riqi": NULL, "shijian": NULL, "zhuangtai": NULL,
    "leixing": NULL, "bianhao": NULL, "pinpai": NULL, "yingyeting": NULL, "taocan": NULL, "mingcheng": NULL,
    "beizhu": TEXT, "neirong": TEXT,
}

# English (searched on token boundaries of ``_a_b_c_``).
_EN: dict[str, tuple[str, ...]] = {
    **{t.code: t.en for t in ST.TYPES if t.en},
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
           "version", "ver", "checksum", "digest", "fingerprint", "file", "firmware", *DIGEST_NAMES, "seniority", "tenure",
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
        # a role of the head type named beside it (法定代表人 + 姓名) is that role
        return next((r for r in ST.refinements(self.head) if r in self.concepts), self.head)

    def says(self, concept: str) -> bool:
        refined = ST.BY_CODE[concept].refines if concept in ST.BY_CODE else None
        return self.head == concept or (refined is not None and concept in self.concepts
                                        and self.head in (refined, concept))


_BRACKETS = re.compile(r"[（(\[【][^）)\]】]*[）)\]】]")


def _head(matches: list[tuple[int, int, str]]) -> tuple[str | None, tuple[str, ...]]:
    """matches: (end, length, concept). Head = the last-ending non-modifier match (the longest of those
    ending at the same place)."""
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
GRADED = ST.in_group("category")
AMOUNTS = ST.in_group("amount")
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
    **dict.fromkeys(DIGEST_NAMES, _ANY),  # the digest of X is read as X (password_md5)
}


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
                held = best[i]
                if held is None or len(cand) < len(held):
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
    matches = []
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
