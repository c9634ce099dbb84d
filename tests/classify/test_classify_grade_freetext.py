"""Grading rules (就高从严, legal persons, minors, linkage, schemes) and free-text entities."""

from __future__ import annotations

import pyarrow as pa
import pytest
from tests.classify import synth as S

from shucang.classify import classify_table, freetext
from shucang.classify import grade as G
from shucang.errors import InputError


def test_defaults_follow_the_issue_table() -> None:
    assert G.default_level("id_card") == 4 and G.default_level("person_name") == 3
    assert G.default_level("uscc") == 1 and G.default_level("age") == 2 and G.default_level(None) == 1
    grades = G.grade_columns({"a": "person_name", "b": None, "c": "income"})
    assert {k: v.level for k, v in grades.items()} == {"a": 3, "b": 1, "c": 4}
    assert G.dataset_level({k: v.level for k, v in grades.items()}) == 4


def test_legal_person_published_data_drops_to_l1() -> None:
    types = {"uscc": "uscc", "名称": "company_name", "住所": "address", "电话": "landline_phone", "法人": "legal_representative"}
    grades = G.grade_columns(types)
    assert grades["住所"].level == 1 and grades["电话"].level == 1
    assert grades["住所"].reasons
    # a natural person's data in the same table keeps everything at its level (就高从严)
    mixed = G.grade_columns({**types, "联系人手机": "mobile_phone"})
    assert mixed["住所"].level == 3 and mixed["联系人手机"].level == 3


def test_minors_rise_to_l4_and_linkage_adds_one() -> None:
    types = {"姓名": "person_name", "性别": "gender", "学校": None}
    assert G.grade_columns(types, G.TableContext(minors_share=0.9))["性别"].level == 4
    assert G.grade_columns(types, G.TableContext(minors_share=0.1))["性别"].level == 2
    linked = G.grade_columns({"姓名": "person_name", "性别": "gender", "诊断": "medical_info"})
    assert linked["性别"].level == 3 and linked["诊断"].level == 4
    assert G.grade_columns({"性别": "gender", "诊断": "medical_info"})["性别"].level == 2


def test_minors_detected_from_id_numbers() -> None:
    r = S.rng(4)
    kids = pa.table({"学生姓名": [S.person(r) for _ in range(60)], "身份证号": [S.id_card(r, young=True) for _ in range(60)],
                     "性别": ["男", "女"] * 30})
    result = classify_table(kids)
    assert result.context["minors_share"] > 0.9
    assert {c.name: c.level for c in result.columns} == {"学生姓名": 4, "身份证号": 4, "性别": 4}
    adults = classify_table(kids.set_column(1, "身份证号", pa.array([S.id_card(r) for _ in range(60)])))
    assert adults.column("性别").level == 2


def test_schemes_are_configurable() -> None:
    scheme = G.scheme_named("GB/T 43697-2024")
    assert G.default_level("gender", scheme) >= 2 and G.default_level("religion", scheme) == 4
    custom = G.GradingScheme(name="county", defaults={**G.TYPE_LEVELS, "age": 3})
    table = pa.table({"年龄": [str(20 + i % 50) for i in range(50)]})
    assert classify_table(table, scheme=custom).column("年龄").level == 3
    assert classify_table(table).column("年龄").level == 2
    with pytest.raises(InputError):
        G.scheme_named("nope")


def test_free_text_counts_and_spans() -> None:
    texts = pa.array([
        "来电人张伟反映：其母亲王秀英独居于坎墩街道新城大道88号，联系电话138-1234-5678。",
        "市民来电，手机 +86 139 1234 5678，邮箱 zhang@163.com，车辆浙B12345占道。",
        "身份证330282199001011237，卡号6217000435298704463",
        "反映路面坑洼较多，雨天积水严重。",
        None,
    ])
    counts, share = freetext.count_entities(texts)
    assert counts["mobile_phone"] == 2 and counts["email"] == 1 and counts["license_plate"] == 1
    assert counts["person_name"] >= 2 and counts["address"] == 1 and counts["bank_card"] == 1
    assert share == pytest.approx(3 / 4)
    spans = freetext.find_spans(texts[0].as_py())
    found = {(s.kind, s.text) for s in spans}
    assert ("mobile_phone", "138-1234-5678") in found and ("person_name", "张伟") in found
    assert ("person_name", "王秀英") in found
    text = texts[1].as_py()
    for s in freetext.find_spans(text):
        assert text[s.start:s.end] == s.text


def test_redaction_hides_every_found_character() -> None:
    texts = pa.array(["联系人李强，电话13812345678，身份证330282199001011237。", "没有个人信息", None])
    out = freetext.redact_text(texts).to_pylist()
    assert "13812345678" not in out[0] and "330282199001011237" not in out[0] and "李*" in out[0]
    assert len(out[0]) == len(texts[0].as_py())
    assert out[1:] == ["没有个人信息", None]


def test_free_text_column_reports_entity_counts() -> None:
    r = S.rng(8)
    rows = [f"{S.person(r)}反映其父亲{S.person(r)}住在{S.address(r)}，回电{S.mobile(r)}" if i % 2 else
            "咨询医保缴费时间及标准。" for i in range(80)]
    result = classify_table(pa.table({"诉求内容": rows}))
    col = result.column("诉求内容")
    assert col.type == "free_text_pii" and col.level >= 3
    assert col.entity_counts and col.entity_counts["mobile_phone"] == 40
