"""The synthetic Cixi demo warehouse (合成演示数据): deterministic generators and ``build_demo``.

``generate_tables`` builds every dataset of ``docs/demo-datasets.md`` as Arrow tables without I/O;
``build_demo`` stores them in a warehouse, flagged synthetic. ``METRICS`` holds the yearly figures the
data reproduces exactly (the plan's 2020 baselines, then designed progress to 2025).
"""

from __future__ import annotations

from shucang.demo.build import DemoTable, build_demo, generate_tables
from shucang.demo.design import DATASETS, DEPARTMENTS, METRICS, YEARS, DatasetSpec, Metric, metric_values

__all__ = [
    "DATASETS",
    "DEPARTMENTS",
    "METRICS",
    "YEARS",
    "DatasetSpec",
    "DemoTable",
    "Metric",
    "build_demo",
    "generate_tables",
    "metric_values",
]
