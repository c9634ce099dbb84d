"""Collect stage (数据汇聚): database, HTTP and drop-folder sources, their schedules and run history.

Sits above the warehouse: every run goes through ``Warehouse`` (so after-ingest hooks such as
classification run as for ``shucang ingest``); nothing below imports this package.
"""

from shucang.collect.registry import Source, add_source, get_source, list_sources, remove_source, runs
from shucang.collect.runner import run_source
from shucang.collect.schedule import Scheduler, run_due, statuses

__all__ = ["Scheduler", "Source", "add_source", "get_source", "list_sources", "remove_source", "run_due",
           "run_source", "runs", "statuses"]
