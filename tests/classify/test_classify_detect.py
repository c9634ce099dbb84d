"""Every type code on a realistic column, the look-alikes, and the rules of evidence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pyarrow as pa
import pytest
from tests.classify import synth as S

from shucang.classify import classify_table
from shucang.classify.detect import detect_column

N = 120


def col(make: Callable[[object], str], n: int = N, seed: int = 3) -> pa.Array:
    r = S.rng(seed)
    return pa.array([make(r) for _ in range(n)], pa.string())


def cycle(values: list[str], n: int = N) -> pa.Array:
    return pa.array([values[i % len(values)] for i in range(n)], pa.string())


def _birth(r: object) -> str:
    d = dt.date(1950, 1, 1) + dt.timedelta(days=S.rng().randrange(20000) + hash(id(r)) % 7)
    return d.isoformat()


CASES: list[tuple[str, str, Callable[[], pa.Array]]] = [
    ("姓名", "person_name", lambda: col(S.person)),
    ("身份证号码", "id_card", lambda: col(S.id_card)),
    ("护照号码", "passport", lambda: col(lambda r: "E" + f"{r.randrange(10**8):08d}")),
    ("港澳通行证号码", "travel_permit", lambda: col(lambda r: "C" + f"{r.randrange(10**8):08d}")),
    ("社保卡号", "social_security_no", lambda: col(lambda r: r.choice("ABRT") + f"{r.randrange(10**8):08d}")),
    ("手机号码", "mobile_phone", lambda: col(S.mobile)),
    ("办公电话", "landline_phone", lambda: col(S.landline)),
    ("电子邮箱", "email", lambda: col(lambda r: f"user{r.randrange(10**5)}@163.com")),
    ("家庭住址", "address", lambda: col(S.address)),
    ("邮编", "postal_code", lambda: col(lambda r: f"3153{r.randrange(100):02d}")),
    ("出生日期", "birth_date", lambda: col(lambda r: (dt.date(1950, 1, 1)
                                                    + dt.timedelta(days=r.randrange(20000))).isoformat())),
    ("年龄", "age", lambda: col(lambda r: str(r.randrange(18, 90)))),
    ("性别", "gender", lambda: cycle(["男", "女", "女"])),
    ("民族", "ethnicity", lambda: cycle(["汉族"] * 8 + ["回族", "畲族"])),
    ("婚姻状况", "marital_status", lambda: cycle(["已婚", "未婚", "离婚", "丧偶"])),
    ("政治面貌", "political_status", lambda: cycle(["群众", "中共党员", "共青团员"])),
    ("文化程度", "education_level", lambda: cycle(["初中", "大学本科", "普通高中", "小学"])),
    ("宗教信仰", "religion", lambda: cycle(["无"] * 9 + ["佛教"])),
    ("备注", "free_text_pii", lambda: col(lambda r: f"联系人{S.person(r)}，电话{S.mobile(r)[:3]}-"
                                                   f"{r.randrange(1000, 9999)}-{r.randrange(1000, 9999)}，请回电。")),
    ("营业收入", "revenue", lambda: col(lambda r: f"{r.randrange(10**6, 10**8)}.{r.randrange(100):02d}")),
    ("银行卡号", "bank_card", lambda: col(lambda r: S.luhn(r, "621700", 19))),
    ("对公账号", "bank_account", lambda: col(lambda r: f"3901{r.randrange(10**15):015d}")),
    ("月工资", "income", lambda: col(lambda r: str(r.randrange(2500, 30000)))),
    ("诊断", "medical_info", lambda: cycle(["高血压", "2型糖尿病", "急性支气管炎", "腰椎间盘突出症"])),
    ("罪名", "criminal_record", lambda: cycle(["盗窃罪", "诈骗罪", "危险驾驶罪"])),
    ("登录密码", "credential", lambda: col(lambda r: f"{r.getrandbits(128):032x}")),
    ("经纬度", "gps_coordinate", lambda: col(lambda r: f"121.{r.randrange(10**6):06d},30.{r.randrange(10**6):06d}")),
    ("车牌号", "license_plate", lambda: col(S.plate)),
    ("车架号", "vin", lambda: col(S.vin)),
    ("登录IP", "ip_address", lambda: col(lambda r: f"10.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(256)}")),
    ("MAC地址", "mac_address", lambda: col(lambda r: ":".join(f"{r.randrange(256):02X}" for _ in range(6)))),
    ("IMEI", "imei", lambda: col(lambda r: S.luhn(r, "86", 15))),
    ("统一社会信用代码", "uscc", lambda: col(S.uscc)),
    ("组织机构代码", "org_code", lambda: col(S.org_code)),
    ("注册号", "business_reg_no", lambda: col(S.reg_no)),
    ("单位名称", "company_name", lambda: col(S.company)),
    ("法定代表人", "legal_representative", lambda: col(S.person)),
    ("应纳税额", "tax_amount", lambda: col(lambda r: f"{r.randrange(100, 10**6)}.{r.randrange(100):02d}")),
]


@pytest.mark.parametrize("header,expected,make", CASES, ids=[c[1] for c in CASES])
def test_every_type_code_on_a_realistic_column(header: str, expected: str, make: Callable[[], pa.Array]) -> None:
    ev = detect_column(header, make())
    assert ev.type == expected, ev.evidence()
    assert 0 < ev.confidence <= 1


def test_all_issue_codes_are_covered() -> None:
    from shucang.classify import TYPE_LEVELS

    assert {c[1] for c in CASES} == set(TYPE_LEVELS)


# values that decide on their own: the same columns under meaningless names
VALUE_DECIDED = {"person_name", "id_card", "mobile_phone", "landline_phone", "email", "address", "gender",
                 "ethnicity", "marital_status", "political_status", "education_level", "religion", "free_text_pii",
                 "bank_card", "medical_info", "criminal_record", "credential", "gps_coordinate", "license_plate",
                 "vin", "ip_address", "mac_address", "imei", "uscc", "org_code", "business_reg_no", "company_name",
                 "passport", "travel_permit"}


@pytest.mark.parametrize("header", ["col_7", "字段12", "Unnamed: 3", "f1"])
def test_meaningless_names_are_classified_from_values(header: str) -> None:
    for _, expected, make in CASES:
        if expected in VALUE_DECIDED:
            ev = detect_column(header, make())
            assert ev.type == expected, (expected, ev.evidence())


@pytest.mark.parametrize("header,values", [
    ("工单编号", lambda: col(lambda r: S.id_card(r)[:17] + str((int(S.id_card(r)[17:].replace("X", "0")) + 1) % 10))),
    ("col_3", lambda: col(lambda r: f"3302822023{r.randrange(10**8):08d}")),  # 18-digit numbers failing the check
    ("业务流水号", lambda: pa.array([str(13742003564 + i) for i in range(N)])),  # serials starting 13…
    ("col_9", lambda: pa.array([str(13742003564 + 3 * i) for i in range(N)])),
    ("产品编码", lambda: col(lambda r: f"{r.randrange(100000, 999999)}")),  # 6-digit product codes
    ("col_5", lambda: col(lambda r: f"{r.randrange(100000, 999999)}")),
    ("金额", lambda: col(lambda r: f"{r.randrange(10**10, 10**11)}.{r.randrange(100):02d}")),  # 11-digit amounts
    ("车牌颜色", lambda: cycle(["蓝", "黄", "绿"])),
    ("身份证有效期至", lambda: col(lambda r: f"20{r.randrange(25, 45)}-0{r.randrange(1, 9)}-1{r.randrange(9)}")),
    ("pwd_updated_at", lambda: col(lambda r: f"2023/0{r.randrange(1, 9)}/1{r.randrange(9)} 10:2{r.randrange(9)}:00")),
    ("与户主关系", lambda: cycle(["户主", "配偶", "子", "女", "孙子"])),
    ("login_name", lambda: col(lambda r: f"wang{r.randrange(1000)}")),
    ("登记单位", lambda: cycle(["古塘派出所", "浒山派出所"])),
    ("开户银行", lambda: cycle(["中国农业银行慈溪市支行", "慈溪农村商业银行"])),
    ("店铺名称", lambda: cycle(["恒安家居日用官方店", "丰锦小家电旗舰店"])),
    ("所在村", lambda: cycle(["五应村", "金岑村", "兴潮村"])),
    ("办理结果", lambda: cycle(["已电话回复来电人，解释相关政策，来电人表示理解。"])),
    ("企业类型", lambda: cycle(["有限责任公司(自然人投资或控股)", "个人独资企业"])),
    ("税率", lambda: cycle(["0.06", "0.13", "0.0003"])),
    ("房间号", lambda: col(lambda r: str(r.randrange(100, 2000)))),
])
def test_look_alikes_are_null(header: str, values: Callable[[], pa.Array]) -> None:
    ev = detect_column(header, values())
    assert ev.type is None, ev.evidence()


def test_names_never_decide_against_values() -> None:
    # an "ID" header over phone numbers is a phone column; a "name" header over AP codes is nothing
    assert detect_column("身份证号", col(S.mobile)).type == "mobile_phone"
    assert detect_column("ap_name", cycle(["CX-BUS-2F-AP14", "CX-HALL-1F-AP08"])).type is None
    assert detect_column("联系电话", col(S.landline)).type == "landline_phone"
    assert detect_column("银行账号", col(lambda r: S.luhn(r, "622202", 19))).type == "bank_card"
    assert detect_column("年龄", cycle(["张三", "李四"])).type is None


def test_mixed_columns_follow_the_dominant_content() -> None:
    r = S.rng(5)
    ids = [S.id_card(r) if i % 10 else "E" + f"{r.randrange(10**8):08d}" for i in range(N)]
    assert detect_column("证件号码", pa.array(ids)).type == "id_card"
    phones = [S.mobile(r) if i % 6 else S.landline(r) for i in range(N)]
    assert detect_column("来电号码", pa.array(phones)).type == "mobile_phone"
    owners = [S.person(r) if i % 8 else S.company(r) for i in range(N)]
    assert detect_column("所有人", pa.array(owners)).type == "person_name"


def test_dirty_and_masked_values_count_as_evidence() -> None:
    r = S.rng(9)
    dirty = []
    for i in range(N):
        v = S.id_card(r)
        dirty.append([v, v.lower(), f" {v[:6]} {v[6:14]} {v[14:]} ", v[:6] + "********" + v[-4:], "NULL", "-",
                      v.translate(str.maketrans("0123456789", "０１２３４５６７８９"))][i % 7])
    assert detect_column("zjhm", pa.array(dirty)).type == "id_card"
    masked_phones = [S.mobile(r)[:3] + "****" + S.mobile(r)[-4:] for _ in range(N)]
    assert detect_column("col_1", pa.array(masked_phones)).type == "mobile_phone"
    masked_names = [S.person(r)[0] + "*" * (1 + i % 2) for i in range(N)]
    assert detect_column("col_2", pa.array(masked_names)).type == "person_name"
    phones = ["+86 " + S.mobile(r) if i % 3 == 0 else "0086-" + S.mobile(r) for i in range(N)]
    assert detect_column("col_3", pa.array(phones)).type == "mobile_phone"


def test_header_vocabulary_styles() -> None:
    ids = col(S.id_card)
    for header in ("身份证号码", "sfzh", "fddbrsfzh", "shenfenzhenghao", "id_card", "IdCardNo", "证件号码"):
        assert detect_column(header, ids).type == "id_card", header
    names = col(S.person)
    for header in ("xm", "lxr", "xingming", "real_name", "联系人"):
        assert detect_column(header, names).type == "person_name", header
    for header in ("fddbr", "法人代表", "legal_rep", "法定代表人姓名"):
        assert detect_column(header, names).type == "legal_representative", header
    amounts = col(lambda r: str(r.randrange(3000, 20000)))
    for header in ("jfjs", "缴费基数", "salary", "gongzi"):
        assert detect_column(header, amounts).type == "income", header


def test_native_arrow_types() -> None:
    table = pa.table({
        "c1": pa.array([int(S.mobile(S.rng(i))) for i in range(N)], pa.int64()),
        "c2": pa.array([dt.date(1980, 1, 1) + dt.timedelta(days=i * 97) for i in range(N)], pa.date32()),
        "c3": pa.array([True, False] * (N // 2)),
        "c4": pa.array([float(i) for i in range(N)]),
    })
    result = classify_table(table)
    types = {c.name: c.type for c in result.columns}
    assert types["c1"] == "mobile_phone"
    assert types["c3"] is None and types["c4"] is None and types["c2"] is None  # a date is not a birth date alone


def test_cross_column_evidence_without_names() -> None:
    r = S.rng(11)
    ids = [S.id_card(r) for _ in range(N)]
    births = [f"{v[6:10]}-{v[10:12]}-{v[12:14]}" for v in ids]
    ages = [str(2024 - int(v[6:10])) for v in ids]
    sexes = ["1" if int(v[16]) % 2 else "2" for v in ids]
    other_dates = [(dt.date(2015, 1, 1) + dt.timedelta(days=i * 3)).isoformat() for i in range(N)]
    table = pa.table({"a": ids, "b": births, "c": ages, "d": sexes, "e": other_dates,
                      "f": [str(r.randrange(1, 3)) for _ in range(N)]})
    types = {c.name: c.type for c in classify_table(table).columns}
    assert types == {"a": "id_card", "b": "birth_date", "c": "age", "d": "gender", "e": None, "f": None}


def test_sample_and_full_agree_on_a_large_column() -> None:
    r = S.rng(2)
    n = 30_000
    table = pa.table({"phone": [S.mobile(r) for _ in range(n)], "x": [str(i) for i in range(n)]})
    sampled = classify_table(table)
    full = classify_table(table, full=True)
    assert sampled.sampled_rows == 10_000 and full.sampled_rows == n and full.full
    assert [c.type for c in sampled.columns] == [c.type for c in full.columns] == ["mobile_phone", None]


def test_empty_and_blank_columns() -> None:
    table = pa.table({"姓名": pa.array([None, "", " "], pa.string()), "x": pa.array([None] * 3, pa.string())})
    result = classify_table(table)
    assert [c.type for c in result.columns] == [None, None]
    assert classify_table(pa.table({"a": pa.array([], pa.string())})).level == 1


def test_icd_shaped_band_codes_are_not_medical() -> None:
    """5G bands (n78/n41/n28) look like ICD-10 codes; few distinct values and no medical header → null."""
    import pyarrow as pa

    from shucang.classify import classify_table

    codes = ["J18.9", "I10", "E11.9", "K29.7", "M54.5", "J06.9", "N39.0", "R51", "I25.1", "K21.0", "E78.5",
             "J45.9", "L30.9", "H10.9"]
    table = pa.table({"band": ["n78", "n41", "n28"] * 100, "col_3": (codes * 22)[:300],
                      "诊断编码": ["J18.9", "I10", "E11.9"] * 100})
    result = {c.name: c.type for c in classify_table(table).columns}
    assert result == {"band": None, "col_3": "medical_info", "诊断编码": "medical_info"}
