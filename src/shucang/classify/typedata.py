"""The registry's data: the word lists that the person-name and address records are built from.

Kept apart from :mod:`shucang.classify.types` only because they are long. Each list belongs to one
type, and the patterns built here are what that type's record carries (its value pattern and its
free-text patterns), so classification, free-text search and masking read the same words. Nothing
here may import another module of the project (the registry is imported by every stage).
"""

from __future__ import annotations

# ----------------------------------------------------------------------------------------------
# person_name
# ----------------------------------------------------------------------------------------------

SURNAMES_1 = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温"
    "康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成"
    "苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费"
    "卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠"
    "惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国"
    "狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢"
    "嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由宓竺虞娄邴糜鄂蔚励滑"
)
COMPOUND_SURNAMES: tuple[str, ...] = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "令狐", "夏侯",
    "轩辕", "端木", "独孤", "南宫", "西门", "申屠", "太史", "万俟", "闻人", "赫连", "澹台", "公冶", "宗政", "濮阳",
    "淳于", "单于", "太叔", "仲孙", "钟离", "呼延", "百里", "东郭", "拓跋", "公羊", "完颜", "第五", "司空", "梁丘",
    "左丘", "亓官", "鲜于",
)
"""Two-character surnames, in the order masking and decoys try them (a name keeps the whole surname)."""
SURNAMES_2 = frozenset(COMPOUND_SURNAMES)
NAME_BAD_END = frozenset("村镇乡局所厂店部岗区市路街省县族婚教科室队处站院校司行社场园馆会厅组号楼座员工长")
"""Characters a personal name practically never ends with, but org units, places and roles do."""
WORDY_SURNAMES = frozenset("来居市和时都那信展但干衣由相初门云容敬平国计海花权强南原乐满区位公利元富向明全成常安宁商经师党官车路房")
"""Surnames that are also everyday words (来电, 居民, 市民…): in free text, not trusted without a role word."""
NAME_ROLES = ("来电人|来电者|市民|反映人|投诉人|举报人|户主|业主|当事人|联系人|姓名|父亲|母亲|丈夫|妻子|儿子|女儿|"
              "老人|患者|租户|房东|申请人|负责人|法人|店主|老板|邻居|孩子父亲|孩子母亲|爷爷|奶奶|外公|外婆|家属|"
              "驾驶员|司机|员工|工人|学生|居民|村民|签收人|收件人|经办人")
"""Role words a person's name follows in free text (来电人王某某)."""
NAME_AFTER = (r"[（(，,。；、：:\s]|先生|女士|反映|来电|称|说|独|住|家住|居住|在|于|的|等|今|近|已|因|和|与|电话|手机|"
              r"身份证|联系|$")
"""What may follow a name after a role word."""
NAME_SPEECH = "先生|女士|反映|来电|称|投诉|诉称"
"""Words after which a sentence-initial surname is a person's name (王先生, 李某反映)."""


def _surname(exclude: frozenset[str] = frozenset()) -> str:
    return "(?:" + "|".join(sorted(SURNAMES_2)) + "|[" + "".join(sorted(SURNAMES_1 - exclude)) + "])"


_SURNAME_CLASS = "[" + "".join(sorted(SURNAMES_1)) + "]"
_COMPOUND = "(?:" + "|".join(sorted(SURNAMES_2)) + ")"
PERSON_NAME_RE = r"^(?:" + _COMPOUND + r"[\p{Han}]{1,2}|" + _SURNAME_CLASS + r"[\p{Han}]{1,3})$"
"""A whole value that is a Chinese personal name (RE2)."""
PERSON_MASKED_RE = r"^(?:" + _COMPOUND + "|" + _SURNAME_CLASS + r")(?:[*＊×xX某]{1,3}|先生|女士|小姐|某某?)$"
"""A name already masked or written as a form of address (张**, 王先生)."""
NAME_BAD_END_RE = "[" + "".join(sorted(NAME_BAD_END)) + "]$"
PERSON_NAME_IN_TEXT: tuple[str, ...] = (
    "(?:(?:" + NAME_ROLES + r")[：:为是叫]?(" + _surname() + r"[\p{Han}]{1,2}?)(?:" + NAME_AFTER + "))",
    "(?:^|[。；，,\\s])(" + _surname(WORDY_SURNAMES) + r"[\p{Han}]{1,2}?)(?:" + NAME_SPEECH + ")",
)
"""Names in free text: after a role word, or opening a clause before a word of speech (one group each)."""

# ----------------------------------------------------------------------------------------------
# address
# ----------------------------------------------------------------------------------------------

TOWN_WORDS = ("镇", "乡", "街道")
"""Words that end a township (乡镇/街道): a masked address keeps up to the first of them."""
COUNTY_WORDS = ("市", "区", "县")
"""Words that end a county or city: a masked address without a town keeps up to the first of them."""
PLACE_WORDS = "省|市|区|县|镇|乡|街道|村|路|街|大道|巷|弄|公路|线|小区|社区|花园|新村|苑|庭|府|大厦|广场"
"""Words that end a place name (慈溪市, 浒山街道, 环城北路)."""
HOUSE_WORDS = "号|幢|栋|室|弄|单元|组|层|楼|座|排|户"
"""Words after a house number (656号, 3幢, 501室)."""
STREET_WORDS = "村|路|街|大道|巷|弄|公路|线|小区|社区"
"""Words that end the street-level part of an address, before its house number."""
ADDRESS_RE = "(?:" + PLACE_WORDS + ")" + r".{0,30}?[0-9０-９一二三四五六七八九十百]+(?:" + HOUSE_WORDS + ")"
"""A street-level address: place words followed by a house number (RE2)."""
PLACE_ONLY_RE = r"(?:省|市|区|县|镇|乡|街道|村|社区|居委会)$"
"""A place without a house number (a town or village, not an address)."""
ADDRESS_IN_TEXT: tuple[str, ...] = (
    r"((?:[\p{Han}]{2,4}(?:省|市))?(?:[\p{Han}]{2,4}(?:" + "|".join(COUNTY_WORDS) + r"))?"
    r"(?:[\p{Han}]{2,5}(?:" + "|".join(TOWN_WORDS) + r"))?"
    r"[\p{Han}]{1,6}(?:" + STREET_WORDS + r")[0-9一二三四五六七八九十]*(?:组)?[0-9]+号"
    r"(?:[\p{Han}]{0,8}[0-9]+(?:幢|栋|号楼))?(?:[0-9]+(?:单元|室))?)",
)
"""An address in free text: optional province, county and town, a street and a house number (one group)."""

# ----------------------------------------------------------------------------------------------
# the values that name a category type itself (its dictionary detector counts them): ethnicity
# (GB/T 3304), gender (GB/T 2261.1, with its code table), marital status (GB/T 2261.2), political
# status (GB/T 4762), education (GB/T 4658), religion
# ----------------------------------------------------------------------------------------------

ETHNIC_GROUPS = (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 景颇 "
    "柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 "
    "塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()
ETHNICITY_VALUES = frozenset({g + "族" for g in ETHNIC_GROUPS} | {g for g in ETHNIC_GROUPS if len(g) > 1} | {
    "穿青人", "其他", "外国血统", "外国血统中国籍人士", "未识别民族", "入籍"})

GENDER_VALUES = frozenset({"男", "女", "男性", "女性", "未知", "未说明", "未知的性别", "未说明的性别", "M", "F", "MALE",
                           "FEMALE"})
GENDER_CODES = frozenset({"0", "1", "2", "9"})

MARITAL_VALUES = frozenset({"未婚", "已婚", "初婚", "再婚", "复婚", "丧偶", "离婚", "离异", "未说明的婚姻状况", "有配偶",
                            "无配偶", "SINGLE", "MARRIED", "DIVORCED", "WIDOWED"})

POLITICAL_VALUES = frozenset({
    "中共党员", "中国共产党党员", "中共预备党员", "共青团员", "中国共产主义青年团团员", "群众", "党员", "团员", "预备党员",
    "正式党员", "民革党员", "民革会员", "民盟盟员", "民建会员", "民进会员", "农工党党员", "致公党党员", "九三学社社员",
    "台盟盟员", "无党派人士", "无党派民主人士", "民主党派", "普通公民"})

EDUCATION_VALUES = frozenset({
    "研究生", "博士研究生", "硕士研究生", "博士", "硕士", "研究生教育", "大学本科", "本科", "大学本科教育", "大学",
    "大学专科", "大专", "专科", "高职", "大学专科教育", "中等专科", "中专", "中等职业教育", "职业高中", "职高", "技工学校",
    "技校", "中职", "普通高中", "高中", "高中阶段教育", "初中", "初级中学", "初中及以下", "小学", "小学及以下", "文盲",
    "文盲或半文盲", "半文盲", "学龄前", "学士", "名誉博士", "无", "其他", "高中及以下", "本科及以上", "大专及以上",
    "中专/高中", "高中/中专", "专科及以下", "研究生及以上", "博士后", "幼儿园", "识字", "不识字",
})

RELIGION_VALUES = frozenset({"佛教", "道教", "伊斯兰教", "天主教", "基督教", "基督新教", "东正教", "犹太教", "印度教",
                             "藏传佛教", "无", "无宗教信仰", "不信教", "其他", "其他宗教", "民间信仰"})
RELIGION_MARKERS = frozenset({"佛教", "道教", "伊斯兰教", "天主教", "基督教", "基督新教", "东正教", "犹太教", "藏传佛教",
                              "民间信仰"})
"""Actual religions (a religion column holds at least one; 无 alone is not evidence)."""
