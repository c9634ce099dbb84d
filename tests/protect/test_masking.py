"""Every masking rule, and the property that masked output never contains what it hides."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shucang.errors import InputError
from shucang.protect.masking import (
    DEFAULT_MASKS,
    age_band,
    apply_mask,
    keep_ends,
    mask_address,
    mask_email,
    mask_for_type,
    mask_name,
    mask_phone,
    month_only,
    number_range,
    redact_text,
    round_coordinates,
    suppress,
    truncate,
    year_only,
)


def test_id_card_keeps_six_and_four() -> None:
    assert mask_for_type(pa.array(["330282199001011234"]), "id_card").to_pylist() == ["330282********1234"]


def test_keep_ends_short_values_are_all_stars_and_nulls_stay() -> None:
    assert keep_ends(pa.array(["12", None, "1234567890A"]), 6, 4).to_pylist() == ["**", None, "123456*7890A"[:6] + "*" + "890A"]


def test_mobile_three_and_four_also_with_prefix_dashes_spaces() -> None:
    got = mask_phone(pa.array(["13812345678", "+86 138-1234-5678", "138 1234 5678", "8613812345678"])).to_pylist()
    assert got == ["138****5678"] * 4


def test_landline_keeps_area_code() -> None:
    assert mask_phone(pa.array(["0574-27464184"])).to_pylist() == ["0574-****84"]


def test_names_keep_surname_and_compound_surname() -> None:
    got = mask_name(pa.array(["张三", "欧阳娜娜", "诸葛亮", "李", "王小明", None])).to_pylist()
    assert got == ["张*", "欧阳**", "诸葛*", "*", "王**", None]


def test_bank_card_six_four_and_plate() -> None:
    assert mask_for_type(pa.array(["6222021234567890123"]), "bank_card").to_pylist() == ["622202*********0123"]
    assert mask_for_type(pa.array(["浙B12345"]), "license_plate").to_pylist() == ["浙B***45"]


def test_address_cut_to_town_or_street() -> None:
    got = mask_address(pa.array(["慈溪市坎墩街道环城北路656号海悦名苑20幢3104室", "慈溪市龙山镇某村12号",
                                 "浙江省宁波市慈溪市新城大道", "某处"])).to_pylist()
    assert got == ["慈溪市坎墩街道", "慈溪市龙山镇", "浙江省宁波市", "***"]


def test_email_hides_local_part() -> None:
    assert mask_email(pa.array(["zhang.san@163.com"])).to_pylist() == ["z***@163.com"]


def test_birth_date_to_year_and_month() -> None:
    assert year_only(pa.array([dt.date(1990, 5, 1)])).to_pylist() == [1990]
    assert year_only(pa.array(["1990-05-01", "bad"])).to_pylist() == ["1990", "****"]
    assert month_only(pa.array([dt.date(1990, 5, 1)])).to_pylist() == ["1990-05"]
    assert month_only(pa.array(["1990年5月3日"])).to_pylist() == ["1990-05"]


def test_coordinates_rounded_about_one_km() -> None:
    assert round_coordinates(pa.array(["121.401375,30.253375"])).to_pylist() == ["121.40,30.25"]
    assert round_coordinates(pa.array([121.401375])).to_pylist() == [pytest.approx(121.40)]


def test_generalisations() -> None:
    assert number_range(pa.array([3456.0, 12.5])).to_pylist() == ["3000-4000", "10-20"]
    assert number_range(pa.array([3456.0]), width=500).to_pylist() == ["3000-3500"]
    assert age_band(pa.array([37, 5])).to_pylist() == ["30-39", "0-9"]
    assert truncate(pa.array(["abcdef"]), 2).to_pylist() == ["ab"]
    assert suppress(pa.array(["x", "y"])).to_pylist() == [None, None]


def test_credentials_never_shown() -> None:
    assert mask_for_type(pa.array(["hunter2", None]), "credential").to_pylist() == ["******", None]


def test_ip_and_mac() -> None:
    assert mask_for_type(pa.array(["192.168.10.20"]), "ip_address").to_pylist() == ["192.168.*.*"]
    assert mask_for_type(pa.array(["AA:BB:CC:DD:EE:FF"]), "mac_address").to_pylist() == ["AA:BB:CC:**:**:**"]


def test_free_text_redacts_embedded_identifiers_in_place() -> None:
    text = ("孩子父亲，身份证332221198106035525，电话138-1234-5678或 138 1234 5678,+86 13912345678，"
            "车牌浙B12345，邮箱a.b@x.cn，座机0574-27464184，卡号6222021234567890123。")
    got = redact_text(pa.array([text])).to_pylist()[0]
    for secret in ("332221198106035525", "138-1234-5678", "138 1234 5678", "13912345678", "浙B12345", "a.b@x.cn",
                   "27464184", "6222021234567890123"):
        assert secret not in got
    assert got.startswith("孩子父亲，身份证[身份证号]，电话[手机号]或 [手机号],")
    assert "[车牌]" in got and "[邮箱]" in got and "[银行卡号]" in got


def test_every_default_type_rule_runs() -> None:
    values = pa.array(["330282199001011234", "张三", None])
    for type_code in DEFAULT_MASKS:
        out = mask_for_type(values, type_code)
        assert len(out) == 3


def test_unknown_strategy_is_a_user_error() -> None:
    with pytest.raises(InputError):
        apply_mask(pa.array(["x"]), "shred")


digits = st.text(alphabet="0123456789", min_size=11, max_size=19)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="0123456789X", min_size=11, max_size=20), min_size=1, max_size=20),
       st.integers(0, 6), st.integers(0, 4))
def test_keep_ends_never_keeps_hidden_characters(values: list[str], head: int, tail: int) -> None:
    out = keep_ends(pa.array(values), head, tail).to_pylist()
    for original, masked in zip(values, out, strict=True):
        assert len(masked) == len(original)
        if len(original) > head + tail:
            assert masked[head:len(original) - tail] == "*" * (len(original) - head - tail)
            assert masked[:head] == original[:head] and masked[len(masked) - tail:] == original[len(original) - tail:]
        else:
            assert set(masked) <= {"*"}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF), min_size=1, max_size=5),
                min_size=1, max_size=10))
def test_names_never_keep_given_names(names: list[str]) -> None:
    for original, masked in zip(names, mask_name(pa.array(names)).to_pylist(), strict=True):
        assert len(masked) == len(original)
        shown = masked.rstrip("*")
        assert len(shown) <= 2 and original.startswith(shown)
        assert len(original) == 1 or len(shown) < len(original)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="3456789", min_size=1, max_size=1), st.text(alphabet="0123456789", min_size=9, max_size=9),
       st.sampled_from(["", "-", " "]), st.sampled_from(["", "+86 ", "86-"]),
       st.text(alphabet="的了是我你他她它在有和与或，。、 ", max_size=12))
def test_phones_in_text_never_survive(second: str, rest: str, sep: str, prefix: str, filler: str) -> None:
    number = "1" + second + rest
    written = prefix + number[:3] + sep + number[3:7] + sep + number[7:]
    out = redact_text(pa.array([filler + written + filler])).to_pylist()[0]
    assert number[3:] not in out.replace("-", "").replace(" ", "")
    assert "[手机号]" in out


@settings(max_examples=60, deadline=None)
@given(st.integers(1920, 2020), st.integers(1, 12), st.integers(1, 28), st.integers(0, 999))
def test_id_numbers_in_text_never_survive(year: int, month: int, day: int, seq: int) -> None:
    from shucang.classify.checksums import id_card_check_char

    b = f"330282{year}{month:02d}{day:02d}{seq:03d}"
    number = b + id_card_check_char(b)
    out = redact_text(pa.array([f"身份证号{number}。", f"{number}"])).to_pylist()
    assert all(number not in o and number[6:14] not in o for o in out)


def test_address_mask_keeps_row_order_over_many_duckdb_vectors() -> None:
    from shucang.protect.masking import mask_address

    towns = [f"甲{i}镇" for i in range(300_000)]  # a different town on every row
    values = pa.chunked_array([pa.array([f"慈溪市{t}新城大道{i}号" for i, t in enumerate(towns[:150_000])]),
                               pa.array([f"慈溪市{t}新城大道{i}号" for i, t in enumerate(towns[150_000:])])])
    assert mask_address(values).to_pylist() == [f"慈溪市{t}" for t in towns]
