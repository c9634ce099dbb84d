"""Economy stage (产业大脑·慈溪平台): monthly economic monitoring over bound report datasets.

A department's monthly report is bound to roles from its headers (``bind_dataset``); from there the
stage computes cumulative year-on-year figures per caliber (``yoy``), industry chains and the
digital-economy core industries from bundled code lists (``reference``), watch rules, the 亩均效益
evaluation, enterprise portraits and the big-screen panel. It sits above plan and below the shells.
"""

from __future__ import annotations

from shucang.economy.binding import Binding, bind_dataset, bound_datasets, load_binding, propose_binding
from shucang.economy.monthly import corrections, parse_month
from shucang.economy.yoy import yoy

__all__ = ["Binding", "bind_dataset", "bound_datasets", "corrections", "load_binding", "parse_month",
           "propose_binding", "yoy"]
