"""The evaluation report as a Word document (python-docx), in the usual order of a 终期评估报告:

一、总体评价 · 二、主要指标完成情况 · 三、分领域分析 (one chart per indicator) · 四、其他目标 ·
五、主要任务与重点专栏推进情况 · 六、滞后指标及原因 · 七、数据核对 · 附件：数据来源与版本.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from shucang.plan.analytics import LAGGING, STATUSES

SYNTHETIC = "【合成演示数据】本报告使用的部分数值为合成演示数据（synthetic），不是慈溪市的真实统计。"


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.{digits}f}".rstrip("0").rstrip(".")
        return text or "0"
    return str(value)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def final_cell(row: dict[str, Any]) -> str:
    """期末值 as shown: the value (its period) and, when revised, the frozen figure beside it."""
    if row["latest"] is None:
        return "—"
    text = f"{fmt(row['latest'])}（{row['latest_period']}）"
    if row["revisions"]:
        text += f"；冻结值 {fmt(row['frozen']['value']) if row['frozen'] else '—'}，已修订"
    return text


def write_docx(data: dict[str, Any], path: Path) -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Microsoft YaHei"
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "微软雅黑")
    title = doc.add_heading(data["title"], level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    plan = data["plan"]
    doc.add_paragraph(f"规划编号 {plan['id']}；规划期 {plan['start']}—{plan['end']} 年，基期 {plan['baseline_year']} 年；"
                      f"报告生成日期 {data['generated']}。")
    if data["synthetic"]:
        warn = doc.add_paragraph().add_run(SYNTHETIC)
        warn.bold = True
        warn.font.color.rgb = RGBColor(0xC0, 0x39, 0x2B)
    closure = data["closure"]
    if closure:
        doc.add_paragraph(f"期末数值已于 {closure['closed_at'][:10]} 由 {closure['closed_by']} 冻结"
                          f"{'（' + closure['note'] + '）' if closure['note'] else ''}；此后的更正以修订记录列示。")
    else:
        doc.add_paragraph("规划尚未关闭：数值仍可能更新（`shucang plan close` 冻结期末数值）。")

    doc.add_heading("一、总体评价", level=1)
    o = data["overall"]
    counts = o["by_status"]
    doc.add_paragraph(
        f"规划确定的 {o['count']} 项主要指标中，{'、'.join(f'{s} {counts[s]} 项' for s in STATUSES)}；"
        f"平均完成度（自基期进度，封顶100%）{pct(o['mean_completion'])}。")
    _table(doc, ["领域", "指标数", *STATUSES, "平均完成度"],
           [[c["name"], c["overall"]["count"], *(c["overall"]["by_status"][s] for s in STATUSES),
             pct(c["overall"]["mean_completion"])] for c in data["categories"]])
    doc.add_paragraph("状态判定规则：" + data["status_rule"]).runs[0].italic = True

    doc.add_heading("二、主要指标完成情况", level=1)
    _indicator_table(doc, data["main"])

    doc.add_heading("三、分领域分析", level=1)
    from docx.shared import Cm

    from shucang.plan.charts import indicator_chart

    for n, cat in enumerate(data["categories"], start=1):
        doc.add_heading(f"（{_cn(n)}）{cat['name']}", level=2)
        c = cat["overall"]
        doc.add_paragraph(f"本领域 {c['count']} 项指标：" + "，".join(
            f"{s} {c['by_status'][s]} 项" for s in STATUSES if c["by_status"][s]) + "。")
        for row in cat["indicators"]:
            doc.add_paragraph(_sentence(row))
            doc.add_picture(io.BytesIO(indicator_chart(row)), width=Cm(15))

    doc.add_heading("四、其他量化目标", level=1)
    doc.add_heading("（一）规划文本中的其他目标", level=2)
    _indicator_table(doc, data["text"])
    doc.add_heading("（二）重点专栏的量化目标", level=2)
    _indicator_table(doc, data["project_targets"])

    doc.add_heading("五、主要任务与重点专栏推进情况", level=1)
    _table(doc, ["主要任务", "关联指标", *STATUSES, "专栏项目状态"],
           [[t["title"], t["indicators"], *(t["by_status"][s] for s in STATUSES), t["register_status"]]
            for t in data["tasks"]])
    for p in data["projects"]:
        doc.add_heading(f"专栏{p['number']}：{p['title']}（{p['status_label']}）", level=3)
        for goal in p["goals"]:
            doc.add_paragraph(f"规划目标（{goal['year']}年）：{goal['text']}", style="List Bullet")
        if not p["quantified"]:
            doc.add_paragraph("本专栏未设量化目标，进展依据项目登记。")
        rows = []
        for it in p["items"]:
            r = it["record"] or {}
            stones = "；".join(f"{m['due']} {m['text']}{'（已完成）' if m['done'] else ''}" for m in r.get("milestones", []))
            evidence = "；".join(x for x in (r.get("evidence_text"), r.get("evidence_link"), r.get("evidence_file")) if x)
            rows.append([it["name"], r.get("unit") or "—", f"{r.get('start') or '—'} 至 {r.get('end') or '—'}",
                         fmt(r.get("planned_investment"), 1), fmt(r.get("actual_investment"), 1),
                         "—" if r.get("progress") is None else f"{r['progress']:g}%",
                         r.get("status_label") or "未登记", stones or "—", evidence or "—"])
        _table(doc, ["项目", "责任单位", "起止", "计划投资（万元）", "实际投资（万元）", "进度", "状态", "里程碑", "佐证"], rows)

    doc.add_heading("六、滞后指标及原因", level=1)
    if not data["lagging"]:
        doc.add_paragraph("无滞后指标。")
    else:
        _table(doc, ["指标", "期末值", "目标值", "完成度（实际÷目标）", "滞后原因", "下一步措施"],
               [[r["name"], final_cell(r), f"{fmt(r['target'])}{r['unit']}", pct(r["attainment"]),
                 (r["explanation"] or {}).get("reason") or "（责任部门尚未说明）",
                 (r["explanation"] or {}).get("next_steps") or "—"] for r in data["lagging"]])

    doc.add_heading("七、数据核对", level=1)
    if data["revisions"]:
        _table(doc, ["指标", "期间", "冻结值", "修订值", "原因", "修订人", "时间"],
               [[r["name"], r["period"], fmt(r["frozen"]), fmt(r["value"]), r["reason"], r["actor"], r["at"][:10]]
                for r in data["revisions"]])
    else:
        doc.add_paragraph("冻结后无修订。" if data["closure"] else "规划尚未关闭，无修订记录。")
    if data["disagreements"]:
        doc.add_paragraph("以下手工填报值与仓内数据计算值相差超过1%，请核实：")
        _table(doc, ["指标", "期间", "填报值", "计算值", "差额"],
               [[d["name"], d["period"], fmt(d["entered"]), fmt(d["computed"]), fmt(d["difference"])]
                for d in data["disagreements"]])
    else:
        doc.add_paragraph("手工填报值与仓内数据计算值无明显差异。")

    doc.add_heading("附件：数据来源与版本", level=1)
    _table(doc, ["指标", "取得方式", "来源", "数据集版本"],
           [[s["name"], s["method"], "、".join(s["sources"]) or "—", s["versions"] or "—"]
            for s in data["sources"]["indicators"]])
    if data["sources"]["datasets"]:
        _table(doc, ["数据集", "名称", "所用版本", "当前版本", "合成数据"],
               [[d["name"], d["title"], "、".join(map(str, d["versions"])), d["current"] or "—",
                 "是" if d["synthetic"] else "否"] for d in data["sources"]["datasets"]])
    if data["synthetic"]:
        doc.add_paragraph(SYNTHETIC)
    doc.save(str(path))


def _sentence(row: dict[str, Any]) -> str:
    unit = row["unit"]
    base = f"基期（{row['baseline_year']}年）{fmt(row['baseline'])}{unit}" if row["baseline"] is not None else "基期无数据"
    if row["latest"] is None:
        final = "期末无数据"
    else:
        final = f"期末（{row['latest_period']}）{fmt(row['latest'])}{unit}"
        if row["revisions"] and row["frozen"]:
            final += f"（冻结值 {fmt(row['frozen']['value'])}{unit}，已修订）"
    text = (f"{row['name']}：{base}，目标（{row['target_year']}年）{row['target_text'] or fmt(row['target']) + unit}，"
            f"{final}，完成度 {pct(row['attainment'])}（实际÷目标），自基期进度 {pct(row['completion'])}，{row['status']}。")
    if row["status"] == LAGGING and row["gap"]:
        text += f"距目标尚差 {fmt(row['gap'])}{unit}。"
    return text


def _indicator_table(doc: Any, rows: list[dict[str, Any]]) -> None:
    _table(doc, ["序号", "指标", "单位", "基期值", "目标值", "期末值", "完成度（实际÷目标）", "自基期进度", "状态"],
           [[n, r["name"], r["unit"],
             fmt(r["baseline"]) if r["baseline"] is not None else (r["baseline_text"] or "/"),
             r["target_text"] or fmt(r["target"]), final_cell(r), pct(r["attainment"]), pct(r["completion"]),
             r["status"]] for n, r in enumerate(rows, start=1)])


def _table(doc: Any, header: list[str], rows: list[list[Any]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = "—" if value is None else str(value)


def _cn(n: int) -> str:
    return "一二三四五六七八九十"[n - 1] if 1 <= n <= 10 else str(n)
