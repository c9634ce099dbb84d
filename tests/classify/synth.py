"""Small generators of realistic (synthetic) column values for the classify tests."""

from __future__ import annotations

import datetime as dt
import random

from shucang.classify import checksums as C

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力宁斌浩宇轩睿欣怡梓涵晨阳"
ROADS = ["新城大道", "三北大街", "孙塘北路", "明州路", "环城北路", "青少年宫北路", "峙山路", "开发大道"]
TOWNS = ["浒山街道", "古塘街道", "坎墩街道", "周巷镇", "观海卫镇", "龙山镇", "掌起镇", "长河镇"]


def rng(seed: int = 7) -> random.Random:
    return random.Random(seed)


def person(r: random.Random) -> str:
    return r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2, 2))))


def id_card(r: random.Random, *, young: bool = False) -> str:
    region = r.choice(["330282", "332221", "330203", "342127", "513030"])
    start = dt.date(2012, 1, 1) if young else dt.date(1940, 1, 1)
    end = dt.date(2018, 12, 31) if young else dt.date(2004, 12, 31)
    birth = start + dt.timedelta(days=r.randrange((end - start).days))
    body = f"{region}{birth:%Y%m%d}{r.randrange(1000):03d}"
    return body + C.id_card_check_char(body)


def mobile(r: random.Random) -> str:
    return r.choice(["138", "139", "151", "158", "177", "186", "189", "199"]) + f"{r.randrange(10**8):08d}"


def landline(r: random.Random) -> str:
    return f"0574-{r.randrange(2, 9)}{r.randrange(10**7):07d}"


def address(r: random.Random) -> str:
    tail = r.choice(["", f"{r.randrange(1, 40)}幢{r.randrange(1, 30)}0{r.randrange(1, 5)}室"])
    return f"慈溪市{r.choice(TOWNS)}{r.choice(ROADS)}{r.randrange(1, 2000)}号{tail}"


def uscc(r: random.Random) -> str:
    alphabet = C.USCC_ALPHABET
    body = "91330282" + "".join(r.choice(alphabet) for _ in range(9))
    return body + C.uscc_check_char(body)


def org_code(r: random.Random) -> str:
    body = "".join(r.choice("0123456789") for _ in range(8))
    return f"{body}-{C.org_code_check_char(body)}"


def reg_no(r: random.Random) -> str:
    body = "330282000" + f"{r.randrange(10**5):05d}"
    return body + C.mod11_10_check_digit(body)


def luhn(r: random.Random, prefix: str, length: int) -> str:
    body = prefix + "".join(r.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return body + C.luhn_check_digit(body)


def vin(r: random.Random) -> str:
    values = dict(zip("0123456789", range(10), strict=True))
    values.update(zip("ABCDEFGHJKLMNPRSTUVWXYZ", (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9),
                      strict=True))
    weights = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
    chars = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
    v = list("LSV" + "".join(r.choice(chars) for _ in range(14)))
    total = sum(values[c] * w for c, w in zip(v, weights, strict=True))
    v[8] = "X" if total % 11 == 10 else str(total % 11)
    return "".join(v)


def plate(r: random.Random) -> str:
    tail = "".join(r.choice("0123456789ABCDEFGHJK") for _ in range(5))
    return r.choice(["浙B", "浙A", "沪A", "苏E"]) + (r.choice("DF") + tail if r.random() < 0.3 else tail)


def company(r: random.Random) -> str:
    return (r.choice(["宁波", "慈溪市", "浙江"]) + r.choice(["恒顺", "远东", "嘉利", "天成", "华美", "力达"])
            + r.choice(["电器", "五金", "塑料制品", "服饰", "机械"]) + r.choice(["有限公司", "股份有限公司", "厂"]))
