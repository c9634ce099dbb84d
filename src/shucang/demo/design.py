"""The figures the demo data is built to reproduce, and the catalog entry of every dataset.

``METRICS`` is the designed year-end value of each plan metric for 2020–2025: the 2020 value is the
plan's baseline, later years move towards the 2025 target at different speeds so the cockpit shows
every status. The generators derive their counts and totals from these numbers, and
``docs/demo-datasets.md`` prints the same table (a test keeps them in step).
"""

from __future__ import annotations

from dataclasses import dataclass

YEARS = (2020, 2021, 2022, 2023, 2024, 2025)
FIRST_DATA_DAY = "2020-01-01"
LAST_DATA_DAY = "2025-12-31"
"""The demo's data ends with 2025, the plan's last year: year-end values are final."""


@dataclass(frozen=True)
class Metric:
    """One plan metric the demo data reproduces exactly."""

    id: str
    name: str
    unit: str
    dataset: str
    values: tuple[float | int, ...]
    """Year-end values for 2020 … 2025 (2020 = plan baseline)."""
    target: float | int
    decimals: int = 0
    """Round the computed value to this many decimals before comparing."""

    def by_year(self) -> dict[int, float | int]:
        return dict(zip(YEARS, self.values, strict=True))


METRICS: tuple[Metric, ...] = (
    Metric("enterprise_cloud", "企业上云数", "家", "enterprise_cloud",
           (9271, 9820, 10350, 10880, 11240, 11560), 11400),
    Metric("digital_core_value_added", "数字经济核心产业增加值", "亿元", "industrial_monthly",
           (115.71, 138.52, 163.37, 191.08, 222.46, 256.93), 330, 2),
    Metric("digital_core_rd_ratio", "规上数字经济核心产业R&D经费支出占营业收入比重", "%", "industrial_monthly",
           (2.1, 2.22, 2.39, 2.56, 2.74, 2.93), 3, 2),
    Metric("digital_core_productivity", "规上数字经济核心产业全员劳动生产率", "万元/人", "industrial_monthly",
           (16.6, 17.4, 18.3, 19.2, 20.1, 21.0), 22, 1),
    Metric("digital_core_invention_patents", "数字经济核心产业有效发明专利", "件", "patents",
           (2475, 2620, 2760, 2890, 3010, 3140), 3300),
    Metric("digital_high_tech_enterprises", "数字经济国家高新技术企业", "家", "high_tech_enterprises",
           (61, 72, 85, 98, 112, 126), 120),
    Metric("industrial_robots_in_service", "在役工业机器人数量", "台", "industrial_robots",
           (2000, 2380, 2790, 3160, 3520, 3870), 4500),
    Metric("digital_workshops_smart_factories", "数字车间/智能工厂数量", "个", "smart_factories",
           (10, 14, 18, 23, 27, 31), 30),
    Metric("future_factories", "未来工厂", "个", "smart_factories", (0, 0, 1, 1, 2, 3), 3),
    Metric("online_retail", "网络零售额", "亿元", "online_retail",
           (776.58, 858.34, 921.67, 985.12, 1046.85, 1103.27), 1100, 2),
    Metric("online_retail_agricultural", "农产品网络零售额", "亿元", "online_retail",
           (37.8, 40.15, 42.96, 45.71, 48.03, 50.62), 60, 2),
    Metric("one_network_rate", "依申请政务服务办件“一网通办”率", "%", "gov_service_cases",
           (81.6, 84.3, 86.5, 88.2, 89.4, 90.3), 90, 1),
    Metric("base_stations_5g", "5G基站数量", "个", "base_stations_5g",
           (1188, 1620, 1980, 2260, 2470, 2610), 2500),
)
METRIC_BY_ID = {m.id: m for m in METRICS}


def metric_values(metric_id: str) -> dict[int, float | int]:
    """Designed year-end values of one metric, by year."""
    return METRIC_BY_ID[metric_id].by_year()


def metric_counts(metric_id: str) -> dict[int, int]:
    """Designed year-end values of a count metric (integers), by year."""
    values = METRIC_BY_ID[metric_id].by_year()
    if not all(isinstance(v, int) for v in values.values()):
        raise TypeError(f"{metric_id} is not a count")
    return {y: int(v) for y, v in values.items()}


@dataclass(frozen=True)
class DatasetSpec:
    """Catalog entry of one demo dataset (the table itself is generated elsewhere)."""

    name: str
    title: str
    department: str
    cadence: str
    key: tuple[str, ...]
    description: str
    bulk: bool = False
    """Bulk datasets shrink with ``scale``; the others carry exact counts and never shrink."""


SYNTHETIC_NOTE = "合成演示数据（synthetic demo data），按固定随机种子生成，不涉及真实人员或企业。"

DEPARTMENTS: dict[str, str] = {
    "gaj": "市公安局",
    "scjgj": "市市场监督管理局",
    "jxj": "市经济和信息化局",
    "tjj": "市统计局",
    "swj": "市商务局",
    "sjj": "市大数据发展管理局",
    "xfj": "市信访局（12345）",
    "kjj": "市科学技术局",
    "slj": "市水利局",
    "sthj": "宁波市生态环境局慈溪分局",
    "jtj": "市交通运输局",
    "gdj": "国网慈溪市供电公司",
}


def _spec(name: str, title: str, department: str, cadence: str, key: tuple[str, ...], what: str,
          bulk: bool = False) -> DatasetSpec:
    return DatasetSpec(name, f"{title}（合成演示数据）", department, cadence, key, f"{what}。{SYNTHETIC_NOTE}", bulk)


DATASETS: tuple[DatasetSpec, ...] = (
    _spec("population", "人口基础信息", "gaj", "monthly", ("id_card",),
          "慈溪市户籍及流动人口基础信息：身份证号、姓名、性别、出生日期、民族、文化程度、镇街、住址、手机号", True),
    _spec("enterprise_registry", "企业登记信息", "scjgj", "daily", ("uscc",),
          "市场主体登记信息：统一社会信用代码、名称、法定代表人、所属镇街与功能区、行业、是否数字经济核心产业、是否规上"),
    _spec("enterprise_cloud", "企业上云", "jxj", "monthly", ("uscc", "cloud_level"),
          "企业上云记录：每家企业首次上云及此后等级提升各一行；企业上云数按 cloud_on 统计不重复企业"),
    _spec("industrial_monthly", "规上工业企业月报", "tjj", "monthly", ("uscc", "month"),
          "规模以上工业企业月度主要指标（万元、人），2020年1月至2025年12月", True),
    _spec("industrial_robots", "工业机器人", "jxj", "monthly", ("robot_id",),
          "工业机器人台账：投用日期与退役日期"),
    _spec("patents", "专利", "scjgj", "monthly", ("patent_no",),
          "本市企业和个人专利授权及失效信息"),
    _spec("online_retail", "网络零售", "swj", "monthly", ("shop_id", "month"),
          "本市网店分月网络零售额（万元）", True),
    _spec("gov_service_cases", "政务服务办件", "sjj", "daily", ("case_no",),
          "政务服务办件明细：事项、办理部门、申请人、渠道、是否依申请、是否一网通办", True),
    _spec("hotline_12345", "12345热线工单", "xfj", "daily", ("ticket_no",),
          "12345政务服务热线工单：来电人、诉求内容（含个人信息的自由文本）、办理结果、满意度", True),
    _spec("base_stations_5g", "5G基站", "jxj", "monthly", ("station_id",),
          "5G基站清单：运营商、镇街、地址、经纬度、开通日期"),
    _spec("high_tech_enterprises", "国家高新技术企业", "kjj", "yearly", ("uscc", "certified_on"),
          "国家高新技术企业认定证书：认定日期与有效期（每张证书一行）"),
    _spec("smart_factories", "数字车间/智能工厂", "jxj", "yearly", ("uscc", "kind"),
          "数字车间、智能工厂、未来工厂认定名单"),
    _spec("economy_monthly", "规上工业企业月报（统计局报表格式）", "tjj", "monthly",
          ("统一社会信用代码", "统计月份", "填报时间"),
          "规模以上工业企业月度报表原表格式（中文表头、4位行业代码、镇街、产值、销售、出口、用电、税金、研发、从业人员），"
          "自最近完整月份前三年的1月起至最近完整月份；含进入和退出规上的企业及少量更正（同一企业同月多次填报）", True),
    _spec("enterprise_land", "企业亩均效益基础数据", "jxj", "yearly", ("统一社会信用代码", "年度"),
          "规上工业企业分年度用地面积（亩）、税收实际贡献、工业增加值、营业收入、研发经费、综合能耗、年平均职工人数，"
          "部分企业个别指标缺失", True),
    # 城市大脑 feeds (shucang.demo.city_feeds): hourly, the last 60 days of 2025
    _spec("water_levels", "智慧水利水位监测", "slj", "daily", ("station_id", "measured_at"),
          "水库和河道站点逐小时水位与警戒水位（米）"),
    _spec("air_quality", "空气质量监测", "sthj", "daily", ("station_name", "measured_at"),
          "空气质量监测站逐小时 AQI 与 PM2.5"),
    _spec("traffic_counts", "数字公路卡口流量", "jtj", "daily", ("checkpoint", "counted_at"),
          "公路卡口逐小时车流量与平均车速"),
    _spec("power_load", "镇街电力负荷", "gdj", "daily", ("town", "measured_at"),
          "各镇街变电负荷逐小时（兆瓦）与供电能力"),
    _spec("enterprise_changes", "市场主体变动日报", "scjgj", "daily", ("change_date", "town", "change_type"),
          "各镇街每日市场主体设立与注销户数（2025年）"),
    _spec("hotline_flow", "12345工单流转", "xfj", "daily", ("ticket_no",),
          "12345工单全流程时间：受理、派单、签收、办结、回访，以及办理时限", True),
)
DATASET_BY_NAME = {d.name: d for d in DATASETS}

OPEN_DATASETS = ("base_stations_5g", "high_tech_enterprises", "smart_factories", "patents", "air_quality",
                 "water_levels", "enterprise_changes")
"""Datasets of public record, published on the open-data portal so 公共数据开放率 has something to count
(environmental monitoring and market-entity counts are the kinds of data counties open first)."""

TOPICS: dict[str, str] = {
    "population": "人口", "enterprise_registry": "法人", "enterprise_cloud": "产业数字化",
    "industrial_monthly": "经济运行", "industrial_robots": "产业数字化", "patents": "科技创新",
    "online_retail": "商贸流通", "gov_service_cases": "政务服务", "hotline_12345": "政务服务",
    "base_stations_5g": "数字基础设施", "high_tech_enterprises": "科技创新", "smart_factories": "产业数字化",
    "economy_monthly": "经济运行", "enterprise_land": "经济运行",
    "water_levels": "城市运行", "air_quality": "城市运行", "traffic_counts": "城市运行", "power_load": "城市运行",
    "hotline_flow": "政务服务", "enterprise_changes": "法人",
}
