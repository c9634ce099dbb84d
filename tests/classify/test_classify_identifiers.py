"""Vectorised identifier validators against the scalar reference and python-stdnum."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from shucang.classify import checksums as C
from shucang.classify import identifiers as I

DIGITS = "0123456789"
# real prefecture prefixes, current and historical (332221 = old 慈溪县)
REGIONS = ["330282", "332221", "330203", "110101", "440305", "513030", "522422", "342127", "650102", "810000",
           "820000", "830000"]


def _id(region: str, birth: dt.date, seq: int) -> str:
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + C.id_card_check_char(body)


dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2023, 12, 31))


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(REGIONS), dates, st.integers(0, 999))
def test_valid_id_numbers_pass_and_agree_with_stdnum(region: str, birth: dt.date, seq: int) -> None:
    value = _id(region, birth, seq)
    assert I.id_card_valid(pa.array([value])).to_pylist() == [True]
    # stdnum's own check digit agrees; its county-by-year table is only a soft signal (it rejects
    # 332221 after 1988, 330282 before, and residence permits 81/82/83), so is_valid is not compared
    assert ric.calc_check_digit(value) == value[-1]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet=DIGITS, min_size=17, max_size=17), st.sampled_from("0123456789X")),
                min_size=50, max_size=50))
def test_id_check_matches_reference(items: list[tuple[str, str]]) -> None:
    values = [body + last for body, last in items]
    got = I.id_card_valid(pa.array(values), legacy=False).to_pylist()
    for value, ok in zip(values, got, strict=True):
        if ok:  # the vectorised check implies the reference check (it also checks region and date)
            assert C.is_valid_id_card(value)
        if C.is_valid_id_card(value) and I.REGION_OK[int(value[:4])]:
            try:
                dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
                date_ok = 1880 <= int(value[6:10]) <= dt.date.today().year
            except ValueError:
                date_ok = False
            assert ok == date_ok


def test_id_dirty_forms_and_rejections() -> None:
    good = _id("330282", dt.date(1990, 1, 1), 123)
    x_id = next(_id("330282", dt.date(1980, 5, d), s) for d in range(1, 28) for s in range(100)
                if _id("330282", dt.date(1980, 5, d), s).endswith("X"))
    fullwidth = good.translate(str.maketrans(DIGITS, "０１２３４５６７８９"))
    values = [good, " " + good + "\u3000", f"{good[:6]} {good[6:14]} {good[14:]}", fullwidth, x_id.lower(),
              good[:-1] + ("0" if good[-1] != "0" else "1"),  # wrong check digit
              "201912345678901234",  # province 20 does not exist
              _id("330282", dt.date(2001, 1, 1), 1)[:10] + "0230" + "0011",  # 30 February
              "330282500101123",  # legacy 15 digits, 1950-01-01
              "330282000178296", None, ""]
    assert I.id_card_valid(pa.array(values)).to_pylist() == [True, True, True, True, True, False, False, False,
                                                             True, False, False, False]


def test_id_masked_and_birth() -> None:
    arr = pa.array(["330282********1234", "330**************2", "3302821998****6705", "138****1234", None])
    assert I.id_card_masked(arr).to_pylist() == [True, True, True, False, False]
    assert I.id_card_birth(pa.array([_id("330282", dt.date(2009, 5, 14), 12), "x"])).to_pylist() == [
        "20090514", None]


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@settings(max_examples=80, deadline=None)
@given(st.sampled_from("123456789ANY"), st.sampled_from("123459"), st.sampled_from(["330282", "110105", "440300"]),
       st.text(alphabet=USCC_CHARS, min_size=9, max_size=9))
def test_uscc_matches_reference_and_stdnum(dept: str, cat: str, region: str, org: str) -> None:
    body = dept + cat + region + org
    value = body + C.uscc_check_char(body)
    assert I.uscc_valid(pa.array([value])).to_pylist() == [True]
    if dept.isdigit():  # stdnum rejects department letters A/N/Y (protection-notes.md)
        assert uscc.is_valid(value)
    wrong = body + USCC_CHARS[(USCC_CHARS.index(value[-1]) + 1) % 31]
    assert I.uscc_valid(pa.array([wrong])).to_pylist() == [False]


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=DIGITS + "ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8))
def test_org_code_matches_reference(body: str) -> None:
    value = body + C.org_code_check_char(body)
    got = I.org_code_valid(pa.array([value, f"{body}-{value[-1]}"])).to_pylist()
    assert got == [True, True]
    assert C.is_valid_org_code(value)


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=DIGITS, min_size=8, max_size=8))
def test_business_reg_no_matches_reference(seq: str) -> None:
    body = "330282" + seq
    value = body + C.mod11_10_check_digit(body)
    assert I.business_reg_no_valid(pa.array([value])).to_pylist() == [True]
    other = body + str((int(value[-1]) + 3) % 10)
    assert I.business_reg_no_valid(pa.array([other])).to_pylist() == [C.is_valid_business_reg_no(other)]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=DIGITS, min_size=11, max_size=18))
def test_luhn_matches_reference(body: str) -> None:
    value = body + C.luhn_check_digit(body)
    assert I.luhn_valid(pa.array([value])).to_pylist() == [True]
    candidates = [body + d for d in DIGITS]
    assert I.luhn_valid(pa.array(candidates)).to_pylist() == [C.is_luhn_valid(c) for c in candidates]


def test_bank_cards_imei_vin() -> None:
    card = "621058" + "182284046962"
    card += C.luhn_check_digit(card)
    spaced = " ".join(card[i:i + 4] for i in range(0, len(card), 4))
    assert I.bank_card_valid(pa.array([card, spaced, card[:-1] + "0" if card[-1] != "0" else card[:-1] + "1"])
                             ).to_pylist() == [True, True, False]
    imei = "86651079398331"
    imei += C.luhn_check_digit(imei)
    assert I.imei_valid(pa.array([imei, "866510793983310"])).to_pylist() == [True, imei == "866510793983310"]
    assert I.vin_valid(pa.array(["LHGYDBFA3CX877974", "LHGYDBFA4CX877974", "1M8GDM9AXKP042788"])).to_pylist() == [
        True, False, True]
    assert I.vin_format(pa.array(["LHGYDBFA3CX87797I"])).to_pylist() == [False]  # no I/O/Q


def test_phones_plates_network() -> None:
    phones = ["13812345678", "+86 138 1234 5678", "0086-13812345678", "86 13812345678", "１３８１２３４５６７８",
              "138-1234-5678", "12812345678", "1381234567", "138****1234"]
    assert I.mobile_valid(pa.array(phones)).to_pylist() == [True] * 6 + [False, False, False]
    assert I.mobile_masked(pa.array(phones)).to_pylist()[-1] is True
    assert I.landline_valid(pa.array(["0574-63012345", "057463012345", "(0574)63012345", "0574-6301234-801",
                                      "13812345678", "12345"])).to_pylist() == [True, True, True, True, False, False]
    plates = ["浙B12345", "浙b·1234学", "浙BD12345", "浙B12345F", "粤Z1234港", "浙B1234", "XB12345", "浙I12345"]
    assert I.plate_valid(pa.array(plates)).to_pylist() == [True, True, True, True, True, False, False, False]
    assert I.plate_masked(pa.array(["浙B1***5", "浙B12345"])).to_pylist() == [True, False]
    assert I.ip_valid(pa.array(["10.0.0.1", "256.1.1.1", "fe80::1", "18:6E:A6:CD:F4:8C"])).to_pylist() == [
        True, False, True, False]
    assert I.mac_valid(pa.array(["18:6E:A6:CD:F4:8C", "18-6e-a6-cd-f4-8c", "186E.A6CD.F48C", "330282036741"])
                       ).to_pylist() == [True, True, True, False]
    assert I.email_valid(pa.array(["a.b@qq.com", "z***@163.com", "a@b", "张三@qq.com"])).to_pylist() == [
        True, True, False, False]


@pytest.mark.parametrize("value,passport,permit", [
    ("E12345678", True, False), ("EA1234567", True, False), ("G12345678", True, False),
    ("C12345678", False, True), ("CA1234567", False, True), ("L12345678", False, True),
    ("H1234567801", False, True), ("12345678", False, False)])
def test_travel_documents(value: str, passport: bool, permit: bool) -> None:
    assert I.passport_format(pa.array([value])).to_pylist() == [passport]
    assert I.travel_permit_format(pa.array([value])).to_pylist() == [permit]


def test_native_numbers_and_chunked_input() -> None:
    phones = pa.chunked_array([pa.array([13812345678.0, None]), pa.array([13912345678.0])])
    assert I.mobile_valid(phones).to_pylist() == [True, False, True]
