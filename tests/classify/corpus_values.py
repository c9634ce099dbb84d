"""Value generators for the adversarial classification corpus (:mod:`tests.classify.corpus`).

Every generator takes ``(r, n, v)``: a seeded ``random.Random``, a row count and a *variant* (0 for the
dev split, 1 for the held-out split). Variants draw from different word lists and formats, so the
held-out split holds surnames, diseases, places and date formats the dev split never shows.
All values are synthetic; identifiers carry valid check digits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable

from tests.classify import synth as S

from shucang.classify import checksums as C

Gen = Callable[[random.Random, int, int], list[str]]

SURN = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹",
        "彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方邹孟熊秦邱江尹薛")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力",
         "宁斌浩宇轩睿欣怡梓涵晨阳志国海波丹燕佳琪思远嘉豪俊凯雪梅春林佩琳")
COMPOUND = ("欧阳", "上官", "诸葛", "司马")
TOWNS = (("浒山街道", "古塘街道", "坎墩街道", "周巷镇", "观海卫镇"),
         ("宗汉街道", "白沙路街道", "孙塘街道", "龙山镇", "掌起镇", "长河镇", "崇寿镇", "胜山镇"))
ROADS = (("新城大道", "三北大街", "孙塘北路", "明州路"),
         ("开发大道", "峙山路", "青少年宫路", "南二环线", "慈甬路", "东三环路", "文化商城", "华润小区"))
DISEASES = (("高血压", "2型糖尿病", "急性支气管炎", "腰椎间盘突出症", "冠状动脉粥样硬化性心脏病", "慢性胃炎",
             "脑梗死", "肺部感染", "胆囊结石", "骨质疏松"),
            ("慢性阻塞性肺疾病", "甲状腺结节", "类风湿关节炎", "肾功能不全", "阿尔茨海默病", "帕金森病",
             "乳腺癌术后", "急性阑尾炎", "带状疱疹", "抑郁症", "哮喘", "脑出血后遗症"))
ICD = (("I10", "E11.9", "J20.9", "M51.2", "I25.1", "K29.5", "I63.9", "J18.9"),
       ("J44.9", "E04.1", "M06.9", "N18.3", "G30.9", "G20", "C50.9", "K35.8", "B02.9", "F32.9"))
WARDS = (("心血管内科", "呼吸内科一病区", "骨科", "妇产科", "儿科", "神经内科病区", "消化内科"),
         ("肾内科二病区", "普外科", "内分泌科", "康复医学科", "老年病科", "感染科病区", "肿瘤科", "急诊科"))
UNITS = (("慈溪市残疾人联合会", "慈溪市卫生健康局", "慈溪市民政局"),
         ("慈溪市疾病预防控制中心", "慈溪市医疗保障局", "慈溪市人民医院医共体", "浒山街道社区卫生服务中心"))
COMPANY_WORDS = (("恒顺", "远东", "嘉利", "天成", "华美", "力达"), ("宏润", "金鹰", "博远", "润泽", "东蓝", "卓创"))
TRADES = (("电器", "五金", "塑料制品", "服饰"), ("轴承", "家电配件", "纺织", "食品", "汽车零部件", "模具"))


def _blank(r: random.Random, vals: list[str], rate: float = 0.04) -> list[str]:
    return [("" if r.random() < rate else x) for x in vals]


def person(r: random.Random, v: int) -> str:
    if r.random() < 0.03:
        return r.choice(COMPOUND) + r.choice(GIVEN[v])
    return r.choice(SURN[v]) + "".join(r.choice(GIVEN[v]) for _ in range(r.choice((1, 2, 2))))


def company(r: random.Random, v: int) -> str:
    pre = r.choice(("宁波", "慈溪市", "浙江") if v == 0 else ("宁波市", "慈溪", "浙江省", "余姚市"))
    form = r.choice(("有限公司", "股份有限公司", "厂") if v == 0 else ("有限公司", "制造有限公司", "经营部", "合作社"))
    return pre + r.choice(COMPANY_WORDS[v]) + r.choice(TRADES[v]) + form


def names(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [person(r, v) for _ in range(n)])


def names_mixed(r: random.Random, n: int, v: int) -> list[str]:
    """Role columns (联系人, 委托人) where some entries are companies: still a person_name column."""
    return _blank(r, [company(r, v) if r.random() < 0.25 else person(r, v) for _ in range(n)])


def companies(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [company(r, v) for _ in range(n)])


def id_cards(r: random.Random, n: int, v: int) -> list[str]:
    out = [S.id_card(r) for _ in range(n)]
    if r.random() < 0.3:
        out = [x[:6] + "********" + x[-4:] if r.random() < 0.1 else x for x in out]
    return _blank(r, out)


def mobiles(r: random.Random, n: int, v: int) -> list[str]:
    out = [S.mobile(r) for _ in range(n)]
    if v == 0 and r.random() < 0.3:
        out = [f"{x[:3]} {x[3:7]} {x[7:]}" if r.random() < 0.5 else "+86" + x for x in out]
    if v == 1 and r.random() < 0.4:
        out = [f"{x[:3]}-{x[3:7]}-{x[7:]}" if r.random() < 0.5 else x for x in out]
    return _blank(r, out)


def landlines(r: random.Random, n: int, v: int) -> list[str]:
    if v == 0:
        if r.random() < 0.3:
            return _blank(r, [f"(0574){r.randrange(2, 9)}{r.randrange(10**7):07d}" for _ in range(n)])
        return _blank(r, [S.landline(r) for _ in range(n)])
    return _blank(r, [f"0574{r.randrange(2, 9)}{r.randrange(10**7):07d}" for _ in range(n)])


def emails(r: random.Random, n: int, v: int) -> list[str]:
    doms = ("qq.com", "163.com", "126.com") if v == 0 else ("sina.com", "139.com", "cixi.gov.cn", "outlook.com")
    return _blank(r, [f"{''.join(r.choice('abcdefghjkmnpqrstuvwxyz') for _ in range(r.randrange(4, 9)))}"
                      f"{r.randrange(100)}@{r.choice(doms)}" for _ in range(n)])


def addresses(r: random.Random, n: int, v: int) -> list[str]:
    out = []
    for _ in range(n):
        tail = r.choice(["", f"{r.randrange(1, 40)}幢{r.randrange(1, 30)}0{r.randrange(1, 5)}室"])
        if v == 0:
            out.append(f"慈溪市{r.choice(TOWNS[0])}{r.choice(ROADS[0])}{r.randrange(1, 2000)}号{tail}")
        else:
            village = r.choice(("潮塘村", "海星村", "五塘新村", "建塘江村"))
            out.append(r.choice((f"浙江省宁波市慈溪市{r.choice(TOWNS[1])}{r.choice(ROADS[1])}{r.randrange(1, 900)}号{tail}",
                                 f"{r.choice(TOWNS[1])}{village}{r.randrange(1, 30)}组{r.randrange(1, 99)}号")))
    return _blank(r, out)


def postals(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [r.choice(("315300", "315311", "315302", "315315", "315321")) for _ in range(n)])


def _birth(r: random.Random) -> dt.date:
    return dt.date(1940, 1, 1) + dt.timedelta(days=r.randrange(23000))


def birth_dates(r: random.Random, n: int, v: int) -> list[str]:
    fmts = ((lambda d: f"{d.year}年{d.month}月{d.day}日", lambda d: d.isoformat()) if v == 0 else
            (lambda d: d.strftime("%Y%m%d"), lambda d: f"{d.year}/{d.month}/{d.day}", lambda d: d.strftime("%Y.%m.%d"),
             lambda d: f"{d.year}年{d.month:02d}月"))
    f = r.choice(fmts)
    return _blank(r, [f(_birth(r)) for _ in range(n)])


def ages(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [str(r.randrange(18, 90)) + ("岁" if v == 1 and r.random() < 0.2 else "") for _ in range(n)])


def genders(r: random.Random, n: int, v: int) -> list[str]:
    kind = r.choice((("男", "女"), ("1", "2"), ("男性", "女性")) if v == 0 else (("1", "2"), ("M", "F"), ("男", "女")))
    return _blank(r, [r.choice(kind) if r.random() > 0.02 else ("9" if kind[0] == "1" else kind[0]) for _ in range(n)])


ETHNIC = ("汉族", "回族", "满族", "畲族", "土家族", "苗族", "壮族", "蒙古族")


def ethnicities(r: random.Random, n: int, v: int) -> list[str]:
    if r.random() < 0.5:  # GB/T 3304 codes: mostly 01 (汉)
        codes = ("01", "01", "01", "01", "03", "11", "19", "15", "06", "08") if v == 0 else \
            ("01", "01", "01", "01", "01", "02", "04", "09", "22", "12", "16")
        return _blank(r, [r.choice(codes) for _ in range(n)])
    return _blank(r, [("汉族" if r.random() < 0.85 else r.choice(ETHNIC)) for _ in range(n)])


def maritals(r: random.Random, n: int, v: int) -> list[str]:
    if r.random() < 0.5:
        return _blank(r, [r.choice(("10", "20", "20", "20", "21", "22", "30", "40", "90")) for _ in range(n)])
    words = ("未婚", "已婚", "已婚", "离婚", "丧偶") if v == 0 else ("未婚", "已婚", "初婚", "再婚", "离异", "丧偶")
    return _blank(r, [r.choice(words) for _ in range(n)])


def politicals(r: random.Random, n: int, v: int) -> list[str]:
    if r.random() < 0.5:
        return _blank(r, [r.choice(("01", "03", "13", "13", "13", "02", "04", "12")) for _ in range(n)])
    words = ("中共党员", "群众", "共青团员") if v == 0 else ("中国共产党党员", "群众", "共青团员", "中共预备党员", "民盟盟员")
    return _blank(r, [r.choice(words) for _ in range(n)])


def educations(r: random.Random, n: int, v: int) -> list[str]:
    if r.random() < 0.5:  # GB/T 4658 codes
        return _blank(r, [r.choice(("10", "20", "21", "30", "31", "40", "60", "70", "80", "90")) for _ in range(n)])
    words = ("大学本科", "大专", "高中", "初中", "小学") if v == 0 else ("本科", "硕士研究生", "中专", "职业高中", "初中",
                                                                  "小学", "文盲或半文盲", "大学专科")
    return _blank(r, [r.choice(words) for _ in range(n)])


def religions(r: random.Random, n: int, v: int) -> list[str]:
    words = ("无", "无", "无", "佛教", "基督教") if v == 0 else ("不信教", "不信教", "道教", "天主教", "伊斯兰教", "佛教")
    return _blank(r, [r.choice(words) for _ in range(n)])


def bank_cards(r: random.Random, n: int, v: int) -> list[str]:
    bins = ("622848", "621700") if v == 0 else ("622202", "623058", "621226", "622908")
    return _blank(r, [S.luhn(r, r.choice(bins), r.choice((16, 19))) for _ in range(n)])


def corp_accounts(r: random.Random, n: int, v: int) -> list[str]:
    out = []
    for _ in range(n):
        body = r.choice(("3901", "8101", "3301")) + "".join(r.choice("0123456789") for _ in range(r.choice((14, 15))))
        ok = C.luhn_check_digit(body[:-1])
        if body[-1] == ok:  # corporate accounts do not follow Luhn: make sure these don't pass by chance
            body = body[:-1] + str((int(ok) + 1) % 10)
        out.append(body)
    return _blank(r, out)


def amounts(lo: float, hi: float, dec: bool = True) -> Gen:
    def g(r: random.Random, n: int, v: int) -> list[str]:
        return _blank(r, [f"{r.uniform(lo, hi):.2f}" if dec else str(int(r.uniform(lo, hi))) for _ in range(n)])
    return g


def diagnoses(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [r.choice(DISEASES[v]) for _ in range(n)])


def icd_codes(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [r.choice(ICD[v]) for _ in range(n)])


def disability_grades(r: random.Random, n: int, v: int) -> list[str]:
    words = (("一级", "二级", "三级", "四级"), ("视力残疾一级", "肢体残疾三级", "听力残疾二级", "智力残疾四级", "精神残疾二级"))
    return _blank(r, [r.choice(words[v if r.random() < 0.5 else 0]) for _ in range(n)])


def care_grades(r: random.Random, n: int, v: int) -> list[str]:
    words = (("一级护理", "二级护理", "三级护理", "特级护理"), ("轻度失能", "中度失能", "重度失能", "能力完好"))
    return _blank(r, [r.choice(words[v]) for _ in range(n)])


def crimes(r: random.Random, n: int, v: int) -> list[str]:
    words = (("盗窃罪", "诈骗罪", "危险驾驶罪", "故意伤害罪"), ("帮助信息网络犯罪活动罪", "开设赌场罪", "寻衅滋事罪", "非法吸收公众存款罪"))
    return _blank(r, [r.choice(words[v]) for _ in range(n)])


def hashes(r: random.Random, n: int, v: int) -> list[str]:
    algo = r.choice((hashlib.md5, hashlib.sha512)) if v == 0 else r.choice((hashlib.sha1, hashlib.sha256))
    return _blank(r, [algo(str(r.random()).encode()).hexdigest() for _ in range(n)])


def coord_pairs(r: random.Random, n: int, v: int) -> list[str]:
    sep = "," if v == 0 else r.choice((", ", ";", " "))
    return _blank(r, [f"{r.uniform(121.1, 121.5):.6f}{sep}{r.uniform(30.05, 30.35):.6f}" for _ in range(n)])


def lons(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [f"{r.uniform(121.1, 121.5):.{6 if v == 0 else r.choice((5, 7))}f}" for _ in range(n)])


def lats(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [f"{r.uniform(30.05, 30.35):.{6 if v == 0 else r.choice((5, 7))}f}" for _ in range(n)])


def plates(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [S.plate(r) for _ in range(n)])


def vins(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [S.vin(r) for _ in range(n)])


def ips(r: random.Random, n: int, v: int) -> list[str]:
    if v == 0:
        return _blank(r, [f"{r.choice(('192.168', '172.16', '60.12'))}.{r.randrange(256)}.{r.randrange(1, 255)}"
                          for _ in range(n)])
    return _blank(r, [f"{r.choice((10, 36, 115, 183, 223))}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"
                      for _ in range(n)])


def macs(r: random.Random, n: int, v: int) -> list[str]:
    sep = ":" if v == 0 else "-"
    return _blank(r, [sep.join(f"{r.randrange(256):02X}" for _ in range(6)) for _ in range(n)])


def imeis(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [S.luhn(r, r.choice(("86", "35")), 15) for _ in range(n)])


def usccs(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [S.uscc(r) for _ in range(n)])


def org_codes(r: random.Random, n: int, v: int) -> list[str]:
    out = [S.org_code(r) for _ in range(n)]
    return _blank(r, [x.replace("-", "") if v == 1 else x for x in out])


def reg_nos(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [S.reg_no(r) for _ in range(n)])


def passports(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [r.choice("EG") + f"{r.randrange(10**8):08d}" for _ in range(n)])


def permits(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [r.choice("C" if v == 0 else "CT") + f"{r.randrange(10**8):08d}" for _ in range(n)])


def si_numbers(r: random.Random, n: int, v: int) -> list[str]:
    if v == 0:
        return _blank(r, [r.choice("ABR") + f"{r.randrange(10**8):08d}" for _ in range(n)])
    return _blank(r, [f"33{r.randrange(10**8):08d}" for _ in range(n)])


def free_texts(r: random.Random, n: int, v: int) -> list[str]:
    out = []
    for _ in range(n):
        p = person(r, v)
        kind = r.randrange(4)
        if kind == 0:
            out.append(f"来电人{p}反映{r.choice(TOWNS[v])}{r.choice(ROADS[v])}{r.randrange(1, 900)}号楼道堆放杂物，联系电话{S.mobile(r)}。")
        elif kind == 1:
            out.append(f"{p}女士称其身份证{S.id_card(r)}被冒用办理业务，要求核查。")
        elif kind == 2:
            out.append(f"经走访，户主{p}家住{r.choice(TOWNS[v])}，生活困难，已告知申请流程，电话{S.mobile(r)}")
        else:
            out.append(r.choice(("已电话回访，群众表示满意。", "情况属实，已转交属地处理。", "经核实不属于本部门职责。")))
    return _blank(r, out)


def versions(r: random.Random, n: int, v: int) -> list[str]:
    if v == 0:
        return _blank(r, [f"{r.randrange(1, 6)}.{r.randrange(10)}.{r.randrange(20)}.{r.randrange(1, 300)}" for _ in range(n)])
    return _blank(r, [f"V{r.randrange(1, 12)}.{r.randrange(10)}.{r.randrange(10)}.{r.randrange(1000, 9999)}"
                      if r.random() < 0.5 else f"{r.randrange(1, 12)}.{r.randrange(10)}.{r.randrange(30)}.{r.randrange(100)}"
                      for _ in range(n)])


def scores(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [f"{r.uniform(55, 100):.{r.choice((1, 2))}f}" for _ in range(n)])


def wards(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [r.choice(WARDS[v]) for _ in range(n)])


def units(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [r.choice(UNITS[v]) for _ in range(n)])


def service_years(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [str(r.randrange(0, 38)) for _ in range(n)])


def other_dates(r: random.Random, n: int, v: int) -> list[str]:
    base = dt.date(2019, 1, 1)
    fmt = r.choice((lambda d: d.isoformat(), lambda d: f"{d.year}年{d.month}月{d.day}日") if v == 0 else
                   (lambda d: d.strftime("%Y%m%d"), lambda d: f"{d.year}/{d.month}/{d.day} 09:{d.day:02d}:00"))
    return _blank(r, [fmt(base + dt.timedelta(days=r.randrange(2000))) for _ in range(n)])


def towns(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [r.choice(TOWNS[v]) for _ in range(n)])


def statuses(r: random.Random, n: int, v: int) -> list[str]:
    words = (("已办结", "办理中", "已受理"), ("审核通过", "退回补正", "待审核", "不予受理"))
    return _blank(r, [r.choice(words[v]) for _ in range(n)])


def yes_no(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [r.choice(("是", "否")) for _ in range(n)])


def serials(r: random.Random, n: int, v: int) -> list[str]:
    start = r.randrange(10**9)
    pre = ("SP", "BJ", "2024")[r.randrange(3)]
    return [f"{pre}{start + i:010d}" for i in range(n)]


def counts(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [str(r.randrange(1, 8)) for _ in range(n)])


def relations(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [r.choice(("户主", "配偶", "子", "女", "父亲", "母亲", "孙子")) for _ in range(n)])


def positions(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [r.choice(("科员", "主任", "副科长", "护士长", "教师", "会计", "工程师")) for _ in range(n)])


def region_codes(r: random.Random, n: int, v: int) -> list[str]:
    return [r.choice(("330282", "330282001", "330282101")) for _ in range(n)]


def colours(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [r.choice(("蓝色", "黄色", "绿色", "白色")) for _ in range(n)])


def beds(r: random.Random, n: int, v: int) -> list[str]:
    return _blank(r, [f"{r.randrange(1, 40)}床" if v == 0 else f"{r.randrange(3, 15)}-{r.randrange(1, 40):02d}"
                      for _ in range(n)])


def from_ids(kind: str, ids: list[str], r: random.Random, v: int) -> list[str]:
    """Birth dates, genders or ages of the people whose ID numbers are ``ids`` (rows aligned)."""
    out: list[str] = []
    fmt = r.randrange(4)
    for x in ids:
        if not x or "*" in x:
            out.append("")
            continue
        d = dt.date(int(x[6:10]), int(x[10:12]), int(x[12:14]))
        male = int(x[16]) % 2 == 1
        if kind == "birth":
            if v == 0:
                out.append((f"{d.year}年{d.month}月{d.day}日", d.isoformat(), d.isoformat(), d.strftime("%Y-%m"))[fmt])
            else:
                out.append((d.strftime("%Y%m%d"), f"{d.year}/{d.month}/{d.day}", d.strftime("%Y.%m.%d"),
                            f"{d.year}年{d.month:02d}月{d.day:02d}日")[fmt])
        elif kind == "gender":
            out.append(("1" if male else "2") if fmt < 2 else ("男" if male else "女"))
        else:
            out.append(str(2024 - d.year))
    return _blank(r, out, 0.03)
