"""Identifiers in the demo data are valid (checksums, stdnum) and consistent with the other columns."""

from __future__ import annotations

import re
from datetime import date, timedelta

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from stdnum.cn import ric, uscc

from shucang.classify.checksums import (
    id_card_check_char,
    is_valid_org_code,
    is_valid_uscc,
    uscc_check_char,
)
from shucang.demo import DemoTable
from shucang.demo.city_feeds import last_complete_day
from shucang.demo.places import BOUNDS, TOWN_NAMES
from shucang.demo.vocab import MOBILE_PREFIXES

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])


def test_every_population_id_is_valid_and_matches_birth_date_and_gender(demo_full: dict[str, DemoTable]) -> None:
    """All 1M IDs, checked with numpy over the raw characters (independently of the generator's code)."""
    pop = demo_full["population"].table
    ids = pop["id_card"].combine_chunks() if isinstance(pop["id_card"], pa.ChunkedArray) else pop["id_card"]
    assert pc.all(pc.equal(pc.utf8_length(ids), 18)).as_py()
    chars = np.frombuffer(ids.buffers()[2], dtype=np.uint8)[: 18 * len(ids)].reshape(-1, 18)
    digits = chars[:, :17].astype(np.int64) - ord("0")
    assert ((digits >= 0) & (digits <= 9)).all()
    check = np.frombuffer(b"10X98765432", dtype=np.uint8)[(digits @ WEIGHTS) % 11]
    assert (check == chars[:, 17]).all()
    born = pc.strptime(pc.utf8_slice_codeunits(ids, 6, 14), format="%Y%m%d", unit="s").cast(pa.date32())
    assert born.equals(pop["birth_date"].combine_chunks())
    male = (digits[:, 16] % 2) == 1
    assert pc.all(pc.equal(pc.equal(pop["gender"], "男"), pa.array(male))).as_py()
    assert pc.count_distinct(ids).as_py() == 1_000_000
    share_cixi = float((chars[:, :6].view("S6").ravel() == b"330282").mean())
    assert 0.8 < share_cixi < 0.95


def test_population_size_at_scale_1(demo_full: dict[str, DemoTable]) -> None:
    assert demo_full["population"].table.num_rows == 1_000_000


def test_ids_pass_reference_checks(demo_small: dict[str, DemoTable]) -> None:
    """Scalar reference and python-stdnum on every ID of the small build (checksum and birth date;
    stdnum's region table is not used: it rejects e.g. 330282 for people born before 1988)."""
    pop = demo_small["population"].table
    for value, born in zip(pop["id_card"].to_pylist(), pop["birth_date"].to_pylist(), strict=True):
        assert id_card_check_char(value[:17]) == value[17]
        assert ric.calc_check_digit(value) == value[17]
        assert ric.get_birth_date(value) == born
    for table, column in (("enterprise_registry", "legal_rep_id_card"), ("gov_service_cases", "applicant_id_card")):
        for value in demo_small[table].table[column].to_pylist():
            assert ric.calc_check_digit(value) == value[17]


def test_credit_codes_valid_distinct_and_joinable(demo_any: dict[str, DemoTable]) -> None:
    reg = demo_any["enterprise_registry"].table
    codes = reg["uscc"].to_pylist()
    assert len(set(codes)) == len(codes)
    assert len(set(reg["company_name"].to_pylist())) == len(codes)
    for code in codes[:: max(1, len(codes) // 5000)] + codes[-50:]:
        assert uscc.validate(code) == code
        assert is_valid_uscc(code) and uscc_check_char(code[:17]) == code[17]
        assert code[2:8] == "330282" and code[:2] in {"91", "92", "93"}
        assert is_valid_org_code(code[8:17])
    known = set(codes)
    for name, column in (("enterprise_cloud", "uscc"), ("industrial_monthly", "uscc"), ("industrial_robots", "uscc"),
                         ("patents", "applicant_uscc"), ("high_tech_enterprises", "uscc"), ("smart_factories", "uscc"),
                         ("online_retail", "operator_uscc")):
        used = set(pc.drop_null(demo_any[name].table[column]).to_pylist())
        assert used <= known, name


def test_all_credit_codes_with_stdnum(demo_small: dict[str, DemoTable]) -> None:
    for code in demo_small["enterprise_registry"].table["uscc"].to_pylist():
        assert uscc.validate(code) == code


def test_enterprise_flags_match_the_registry(demo_any: dict[str, DemoTable]) -> None:
    con = duckdb.connect()
    for name in ("enterprise_registry", "industrial_monthly", "high_tech_enterprises", "patents"):
        con.register(name, demo_any[name].table)
    mismatched = con.execute("""
        SELECT (SELECT count(*) FROM industrial_monthly m JOIN enterprise_registry r USING (uscc)
                WHERE m.is_digital_core <> r.is_digital_core OR NOT r.is_above_scale)
             + (SELECT count(*) FROM high_tech_enterprises h JOIN enterprise_registry r USING (uscc)
                WHERE h.is_digital_core <> r.is_digital_core)
             + (SELECT count(*) FROM patents p JOIN enterprise_registry r ON p.applicant_uscc = r.uscc
                WHERE p.is_digital_core <> r.is_digital_core OR p.applicant <> r.company_name
                   OR p.applied_on < r.established_on)
    """).fetchone()[0]
    assert mismatched == 0


def test_industry_codes_agree_across_datasets_and_with_the_flag(demo_small: dict[str, DemoTable]) -> None:
    """industrial_monthly carries the code economy_monthly gives each enterprise, and a code is a
    digital-core code exactly where the enterprise is flagged core (so both calibers agree on the demo)."""
    from shucang.plan import industry_codes

    con = duckdb.connect()
    for name in ("industrial_monthly", "economy_monthly"):
        con.register(name, demo_small[name].table)
    industry_codes.register(con)
    missing, other_code, disagree = con.execute("""
        SELECT count(*) FILTER (WHERE NOT regexp_full_match(coalesce(m.industry_code, ''), '[0-9]{4}')),
               count(*) FILTER (WHERE e.code IS DISTINCT FROM m.industry_code),
               count(*) FILTER (WHERE is_digital_core_code(m.industry_code) <> m.is_digital_core)
        FROM industrial_monthly m
        LEFT JOIN (SELECT DISTINCT "统一社会信用代码" AS uscc, "行业代码" AS code FROM economy_monthly) e USING (uscc)
    """).fetchone()
    assert (missing, other_code, disagree) == (0, 0, 0)
    assert con.execute("SELECT count(*) FILTER (WHERE is_digital_core) FROM industrial_monthly").fetchone()[0] > 0


def test_patent_numbers_have_valid_check_characters(demo_small: dict[str, DemoTable]) -> None:
    weights = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
    pt = demo_small["patents"].table
    numbers = pt["patent_no"].to_pylist()
    assert len(set(numbers)) == len(numbers)
    for number, kind, applied in zip(numbers, pt["patent_type"].to_pylist(), pt["applied_on"].to_pylist(), strict=True):
        m = re.fullmatch(r"ZL(\d{12})\.([0-9X])", number)
        assert m, number
        total = sum(int(d) * w for d, w in zip(m.group(1), weights, strict=True)) % 11
        assert m.group(2) == ("X" if total == 10 else str(total))
        assert int(m.group(1)[:4]) == applied.year
        assert m.group(1)[4] == {"发明": "1", "实用新型": "2", "外观设计": "3"}[kind]


def test_phone_numbers(demo_small: dict[str, DemoTable]) -> None:
    prefixes = {str(p) for p in MOBILE_PREFIXES}
    mobiles = pc.drop_null(demo_small["population"].table["mobile"]).to_pylist()
    assert len(set(mobiles)) == len(mobiles)
    assert all(len(m) == 11 and m.isdigit() and m[:3] in prefixes for m in mobiles)
    phones = demo_small["enterprise_registry"].table["phone"].to_pylist()
    landlines = [p for p in phones if p.startswith("0574")]
    assert landlines and all(re.fullmatch(r"0574-6\d{7}", p) for p in landlines)


def test_hotline_texts_embed_personal_data_in_several_formats(demo_full: dict[str, DemoTable]) -> None:
    texts = demo_full["hotline_12345"].table["content"].to_pylist()
    dashed = sum(bool(re.search(r"1[3-9]\d-\d{4}-\d{4}", t)) for t in texts)
    spaced = sum(bool(re.search(r"1[3-9]\d \d{4} \d{4}", t)) for t in texts)
    plain = sum(bool(re.search(r"(?<![\d+ -])1[3-9]\d{9}(?!\d)", t)) for t in texts)
    ids = [m for t in texts for m in re.findall(r"\d{17}[\dX]", t)]
    assert dashed > 1000 and spaced > 1000 and plain > 3000 and len(ids) > 2000
    assert all(id_card_check_char(i[:17]) == i[17] for i in ids)
    assert sum("慈溪市" in t for t in texts) > 5000  # home addresses
    assert sum(t.startswith("匿名来电") for t in texts) > 1000


def test_places_and_coordinates(demo_any: dict[str, DemoTable]) -> None:
    towns = set(TOWN_NAMES)
    assert len(towns) == 20
    for name, demo in demo_any.items():
        if "town" in demo.table.column_names:
            assert set(pc.drop_null(demo.table["town"]).to_pylist()) <= towns, name
    st = demo_any["base_stations_5g"].table
    lon, lat = pc.min_max(st["longitude"]).as_py(), pc.min_max(st["latitude"]).as_py()
    assert BOUNDS[0] <= lon["min"] and lon["max"] <= BOUNDS[1]
    assert BOUNDS[2] <= lat["min"] and lat["max"] <= BOUNDS[3]
    assert 121.1 <= BOUNDS[0] and BOUNDS[1] <= 121.5 and 30.0 <= BOUNDS[2] and BOUNDS[3] <= 30.35


CITY_FEEDS = {"water_levels", "air_quality", "traffic_counts", "power_load", "enterprise_changes", "hotline_flow",
              "hotline_12345", "gov_service_cases"}


def test_dates_end_with_2025_and_events_follow_their_causes(demo_any: dict[str, DemoTable]) -> None:
    last = date(2025, 12, 31)
    city_last = date(1970, 1, 1) + timedelta(days=last_complete_day())
    for name, demo in demo_any.items():
        if name in ("economy_monthly", "enterprise_land"):
            continue  # these run up to the build date's last complete month (tests/economy checks that)
        for field in demo.table.schema:
            if str(field.type) in ("date32[day]", "timestamp[us]") and field.name != "expires_on":
                top = pc.max(demo.table[field.name]).as_py()
                top = top.date() if hasattr(top, "date") else top
                # the city feeds run to the build date's latest complete day (tests/demo/test_city_feed_dates.py)
                assert top <= (city_last if name in CITY_FEEDS else last), (name, field.name)
    rb = demo_any["industrial_robots"].table
    assert pc.all(pc.greater(rb["retired_on"], rb["in_service_on"])).as_py()
    pt = demo_any["patents"].table
    assert pc.all(pc.less(pt["applied_on"], pt["granted_on"])).as_py()
    assert pc.all(pc.greater(pt["lapsed_on"], pt["granted_on"])).as_py()


@pytest.mark.parametrize("name", ["population", "enterprise_registry", "enterprise_cloud", "industrial_monthly",
                                  "industrial_robots", "patents", "online_retail", "gov_service_cases",
                                  "hotline_12345", "base_stations_5g", "high_tech_enterprises", "smart_factories",
                                  "economy_monthly", "enterprise_land"])
def test_declared_keys_are_unique(demo_any: dict[str, DemoTable], name: str) -> None:
    demo = demo_any[name]
    groups = demo.table.group_by(list(demo.key)).aggregate([]).num_rows
    assert groups == demo.table.num_rows


def test_people_keep_one_identity_across_datasets(demo_any: dict[str, DemoTable]) -> None:
    con = duckdb.connect()
    for name in ("population", "enterprise_registry", "gov_service_cases", "hotline_12345"):
        con.register(name, demo_any[name].table)
    bad = con.execute("""
        SELECT (SELECT count(*) FROM enterprise_registry r LEFT JOIN population p ON p.id_card = r.legal_rep_id_card
                WHERE p.name IS DISTINCT FROM r.legal_rep
                   OR date_diff('year', p.birth_date, r.established_on) NOT BETWEEN 18 AND 64)
             + (SELECT count(*) FROM gov_service_cases g LEFT JOIN population p ON p.id_card = g.applicant_id_card
                WHERE p.name IS DISTINCT FROM g.applicant_name OR p.mobile IS DISTINCT FROM g.applicant_phone)
             + (SELECT count(*) FROM hotline_12345 h WHERE h.caller_phone NOT IN (SELECT mobile FROM population WHERE mobile IS NOT NULL))
    """).fetchone()[0]
    assert bad == 0


def test_phones_in_ticket_texts_are_the_callers(demo_small: dict[str, DemoTable]) -> None:
    t = demo_small["hotline_12345"].table
    seen = 0
    for text, phone in zip(t["content"].to_pylist(), t["caller_phone"].to_pylist(), strict=True):
        m = re.search(r"(?<![\dX])(1[3-9]\d[- ]?\d{4}[- ]?\d{4})(?![\dX])", text)
        if m:
            assert re.sub(r"\D", "", m.group(1)) == phone
            seen += 1
    assert seen > t.num_rows / 3
