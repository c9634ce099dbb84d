"""The general rules behind recall on unseen tables: initials derived from Chinese vocabulary, generic
tails, English database abbreviations, header vetoes, written-out dates, lone coordinates, care grades."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest
from tests.classify import synth as S

from shucang.classify import classify_table, vocab
from shucang.classify.detect import detect_column
from shucang.classify.initials import initials_of


def test_initials_of_chinese_words() -> None:
    assert "jzdz" in initials_of("居住地址")
    assert "whcd" in initials_of("文化程度")
    assert "yhkh" in initials_of("银行卡号", limit=32)  # 行 is read xing and hang
    assert initials_of("abc") == set()


@pytest.mark.parametrize(("header", "concept"), [
    ("jzdz", "address"), ("hyzk", "marital_status"), ("csrq", "birth_date"),  # derived from 居住地址, 婚姻状况, 出生日期
    ("hldj", "medical_info"),  # 护理等级
    ("cjdj", "medical_info"),  # 残疾 (cj, shared with 成绩) settled by the grade tail 等级
    ("yfhj", "income"),  # 应发 (yf, shared with 月份) settled by the sum tail 合计
    ("sznl", "age"),  # an unknown leading syllable before 年龄
    ("残疾等级", "medical_info"), ("应发合计", "income"), ("实发金额", "income"), ("民族名称", "ethnicity"),
    ("disability_grade", "medical_info"), ("TAX_AMT", "tax_amount"), ("id_num", "id_card"),
    ("SBKH_NO", "social_security_no"), ("MZ_DM", "ethnicity"), ("XB_DM", "gender"),
    ("版本号", "null"), ("bbh", "null"), ("文件MD5", "null"), ("工龄", "null"), ("pwd_updated_at", "null"),
])
def test_header_reading(header: str, concept: str) -> None:
    assert vocab.read_name(header).head == concept


def _col(values: list[str]) -> pa.Array:
    return pa.array(values, pa.string())


def test_written_out_birth_dates_under_a_birth_header() -> None:
    r = random.Random(3)
    vals = [f"{r.randrange(1940, 2000)}年{r.randrange(1, 13)}月{r.randrange(1, 29)}日" for _ in range(80)]
    assert detect_column("出生日期", _col(vals)).type == "birth_date"
    assert detect_column("登记日期", _col(vals)).type is None


def test_lone_coordinates_without_a_name() -> None:
    r = random.Random(4)
    lon = [f"{r.uniform(121.1, 121.5):.6f}" for _ in range(80)]
    lat = [f"{r.uniform(30.0, 30.4):.6f}" for _ in range(80)]
    assert detect_column("F7", _col(lon)).type == "gps_coordinate"
    assert detect_column("column12", _col(lat)).type == "gps_coordinate"
    money = [f"{r.uniform(10, 99):.2f}" for _ in range(80)]  # amounts are not coordinates
    assert detect_column("F8", _col(money)).type is None


def test_care_grades_are_health_data_and_wards_are_not() -> None:
    r = random.Random(5)
    care = [r.choice(("轻度失能", "中度失能", "重度失能", "一级护理")) for _ in range(60)]
    assert detect_column("column3", _col(care)).type == "medical_info"
    wards = [r.choice(("心血管内科", "呼吸内科一病区", "妇产科", "儿科")) for _ in range(60)]
    assert detect_column("病区", _col(wards)).type is None
    assert detect_column("护理单元", _col(wards)).type is None
    grades = [r.choice(("一级", "二级", "三级", "四级")) for _ in range(60)]
    assert detect_column("残疾等级", _col(grades)).type == "medical_info"


def test_header_vetoes_look_alike_values() -> None:
    r = random.Random(6)
    versions = [f"{r.randrange(1, 6)}.{r.randrange(10)}.{r.randrange(20)}.{r.randrange(1, 200)}" for _ in range(60)]
    assert detect_column("版本号", _col(versions)).type is None
    assert detect_column("ip_addr", _col(versions)).type == "ip_address"
    md5 = [f"{r.getrandbits(128):032x}" for _ in range(60)]
    assert detect_column("文件MD5", _col(md5)).type is None
    assert detect_column("登录密码", _col(md5)).type == "credential"
    # checksummed identifiers are never overruled by a header
    ids = [S.id_card(r) for _ in range(60)]
    assert detect_column("编号", _col(ids)).type == "id_card"


@pytest.mark.parametrize(("header", "kind"), [
    # a header naming a digest algorithm, or text (说明, 摘要), names something other than a secret
    ("md5", None), ("SHA1", None), ("crc32", None), ("附件说明", None), ("内容摘要", None),
    # ... unless it says the digest is of a password, or names a secret
    ("password_md5", "credential"), ("user_pwd_sha1", "credential"), ("口令", "credential"), ("col_3", "credential"),
])
def test_digests_under_digest_or_text_headers_are_not_credentials(header: str, kind: str | None) -> None:
    r = random.Random(8)
    sha1 = [f"{r.getrandbits(160):040x}" for _ in range(60)]
    assert detect_column(header, _col(sha1)).type == kind


def test_years_of_service_are_not_ages() -> None:
    r = random.Random(7)
    ids = [S.id_card(r) for _ in range(100)]
    service = [str(r.randrange(0, 38)) for _ in range(100)]
    t = pa.table({"身份证号": _col(ids), "工龄": _col(service), "F3": _col(service)})
    result = classify_table(t)
    assert result.column("工龄").type is None
    assert result.column("F3").type is None
