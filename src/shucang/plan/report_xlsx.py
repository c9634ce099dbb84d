"""The evaluation report as a workbook: the DOCX's tables, one sheet per part, numbers kept as numbers.

Values are numeric cells with number formats (``0.0%`` for completion, thousands separators for
figures, ``yyyy-mm-dd`` for dates); statuses are written in Chinese. A synthetic-data label heads
every sheet when demo data are used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shucang.plan.analytics import STATUSES
from shucang.plan.report_docx import SYNTHETIC

NUM, PCT, INT, TEXT = "num", "pct", "int", "text"
INDICATOR_COLUMNS = [("序号", INT), ("指标编号", TEXT), ("指标", TEXT), ("领域", TEXT), ("单位", TEXT),
                     ("基期年", INT), ("基期值", NUM), ("目标年", INT), ("目标值", NUM), ("目标表述", TEXT),
                     ("期末期间", TEXT), ("期末值", NUM), ("冻结值", NUM), ("完成度（实际÷目标）", PCT),
                     ("自基期进度", PCT), ("状态", TEXT), ("来源", TEXT), ("责任部门", TEXT)]


def _indicator_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [[n, r["id"], r["name"], r.get("category_name") or "", r["unit"], r["baseline_year"], r["baseline"],
             r["target_year"], r["target"], r["target_text"] or "", r["latest_period"] or "", r["latest"],
             (r["frozen"] or {}).get("value"), r["attainment"], r["completion"], r["status"],
             r["latest_source"] or "", r.get("department_name") or r.get("department") or ""]
            for n, r in enumerate(rows, start=1)]


def write_xlsx(data: dict[str, Any], path: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    try:
        formats = {
            "head": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}),
            NUM: book.add_format({"num_format": "#,##0.00##"}), PCT: book.add_format({"num_format": "0.0%"}),
            INT: book.add_format({"num_format": "0"}), TEXT: None,
            "title": book.add_format({"bold": True, "font_size": 13}),
            "warn": book.add_format({"bold": True, "font_color": "#C0392B"}),
        }

        def sheet(name: str, columns: list[tuple[str, str]], rows: list[list[Any]], note: str = "") -> None:
            ws = book.add_worksheet(name)
            ws.write_string(0, 0, f"{data['title']} — {name}", formats["title"])
            top = 1
            if data["synthetic"]:
                ws.write_string(top, 0, SYNTHETIC, formats["warn"])
                top += 1
            if note:
                ws.write_string(top, 0, note)
                top += 1
            top += 1
            ws.write_row(top, 0, [c for c, _ in columns], formats["head"])
            ws.freeze_panes(top + 1, 0)
            for c, (label, kind) in enumerate(columns):
                ws.set_column(c, c, 34 if kind == TEXT and len(label) <= 4 and label in ("指标", "项目", "原因") else 14)
            for r, row in enumerate(rows, start=top + 1):
                for c, ((_label, kind), value) in enumerate(zip(columns, row, strict=True)):
                    if value is None or value == "":
                        continue
                    if kind in (NUM, PCT, INT) and isinstance(value, (int, float)) and not isinstance(value, bool):
                        ws.write_number(r, c, value, formats[kind])
                    else:
                        ws.write_string(r, c, str(value))

        o = data["overall"]
        sheet("总体评价", [("领域", TEXT), ("指标数", INT), *[(s, INT) for s in STATUSES], ("平均完成度", PCT)],
              [["全部主要指标", o["count"], *(o["by_status"][s] for s in STATUSES), o["mean_completion"]],
               *[[c["name"], c["overall"]["count"], *(c["overall"]["by_status"][s] for s in STATUSES),
                  c["overall"]["mean_completion"]] for c in data["categories"]]],
              note="状态判定规则：" + data["status_rule"])
        sheet("主要指标", INDICATOR_COLUMNS, _indicator_rows(data["main"]))
        years = sorted({p["year"] for r in data["main"] for p in r["series"]})
        sheet("分领域分析", [("领域", TEXT), ("指标", TEXT), ("单位", TEXT), ("目标值", NUM), ("状态", TEXT),
                        *[(str(y), NUM) for y in years]],
              [[r.get("category_name") or "", r["name"], r["unit"], r["target"], r["status"],
                *({p["year"]: p["value"] for p in r["series"]}.get(y) for y in years)] for r in data["main"]])
        sheet("文中目标", INDICATOR_COLUMNS, _indicator_rows(data["text"]))
        sheet("专栏目标", INDICATOR_COLUMNS, _indicator_rows(data["project_targets"]))
        sheet("专栏目标表述", [("专栏", TEXT), ("专栏名称", TEXT), ("年份", INT), ("目标表述", TEXT), ("专栏状态", TEXT)],
              [[f"专栏{p['number']}", p["title"], g["year"], g["text"], p["status_label"]]
               for p in data["projects"] for g in p["goals"]])
        sheet("主要任务", [("主要任务", TEXT), ("关联指标", INT), *[(s, INT) for s in STATUSES], ("专栏项目状态", TEXT)],
              [[t["title"], t["indicators"], *(t["by_status"][s] for s in STATUSES), t["register_status"]]
               for t in data["tasks"]])
        register_rows = []
        for p in data["projects"]:
            for it in p["items"]:
                r = it["record"] or {}
                register_rows.append([
                    f"专栏{p['number']}", p["title"], p["status_label"], it["name"], r.get("unit"), r.get("start"),
                    r.get("end"), r.get("planned_investment"), r.get("actual_investment"),
                    None if r.get("progress") is None else r["progress"] / 100, r.get("status_label") or "未登记",
                    "；".join(f"{m['due']} {m['text']}" for m in r.get("milestones", [])),
                    "；".join(x for x in (r.get("evidence_text"), r.get("evidence_link"), r.get("evidence_file")) if x)])
        sheet("专栏项目", [("专栏", TEXT), ("专栏名称", TEXT), ("专栏状态", TEXT), ("项目", TEXT), ("责任单位", TEXT),
                       ("开始", TEXT), ("结束", TEXT), ("计划投资（万元）", NUM), ("实际投资（万元）", NUM),
                       ("进度", PCT), ("状态", TEXT), ("里程碑", TEXT), ("佐证", TEXT)], register_rows)
        sheet("滞后指标", [("指标编号", TEXT), ("指标", TEXT), ("单位", TEXT), ("期末值", NUM), ("目标值", NUM),
                       ("完成度（实际÷目标）", PCT), ("状态", TEXT), ("滞后原因", TEXT), ("下一步措施", TEXT)],
              [[r["id"], r["name"], r["unit"], r["latest"], r["target"], r["attainment"], r["status"],
                (r["explanation"] or {}).get("reason") or "（责任部门尚未说明）",
                (r["explanation"] or {}).get("next_steps") or ""] for r in data["lagging"]])
        sheet("数据核对", [("类型", TEXT), ("指标", TEXT), ("期间", TEXT), ("冻结值/填报值", NUM),
                       ("修订值/计算值", NUM), ("说明", TEXT)],
              [["修订", r["name"], r["period"], r["frozen"], r["value"], f"{r['reason']}（{r['actor']}）"]
               for r in data["revisions"]] +
              [["填报与计算不一致", d["name"], d["period"], d["entered"], d["computed"], d["metric"]]
               for d in data["disagreements"]])
        sheet("数据来源", [("指标编号", TEXT), ("指标", TEXT), ("取得方式", TEXT), ("来源", TEXT), ("数据集版本", TEXT)],
              [[s["id"], s["name"], s["method"], "、".join(s["sources"]), s["versions"]]
               for s in data["sources"]["indicators"]] +
              [[d["name"], d["title"], "数据集", "合成数据" if d["synthetic"] else "",
                f"所用版本 {'、'.join(map(str, d['versions']))}；当前版本 {d['current']}"]
               for d in data["sources"]["datasets"]])
    finally:
        book.close()
