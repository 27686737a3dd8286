"""``juesuan check DIR``: check every workbook in a folder (the 财政局 reviewer's case).

Files are checked in parallel across cores, with a progress bar; one consolidated report is written
as xlsx (one row per finding, with the file name, and a per-file summary) and JSON.
"""

from __future__ import annotations

import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from juesuan.errors import InputError, JuesuanError
from juesuan.render.cells import append_row
from juesuan.util.atomic import write_text

SUFFIXES = {".xlsx", ".xlsm", ".xls", ".et", ".pdf"}  # .pdf: a published disclosure's tables
# spreadsheets juesuan cannot read: listed in the report as skipped, never silently absent
OTHER_SHEETS = {".ods": "OpenDocument 表格（.ods）", ".xlsb": "Excel 二进制工作簿（.xlsb）", ".csv": "CSV 文本",
                ".numbers": "Numbers 表格", ".ett": "WPS 模板（.ett）", ".xltx": "Excel 模板（.xltx）"}
NARRATIVE_SUFFIXES = (".docx", ".pdf", ".txt", ".md")  # a 情况说明 beside its workbook (same file stem)
REPORT_PREFIX = "juesuan-"
REPORT_NAME = f"{REPORT_PREFIX}检查结果"


def workbook_files(folder: Path) -> list[Path]:
    """Excel-like files below ``folder``: not lock files (``~$…``), not our own reports."""
    files = [p for p in _candidates(folder) if p.suffix.lower() in SUFFIXES]
    books = {p.with_suffix("") for p in files if p.suffix.lower() != ".pdf"}
    # a PDF beside a workbook of the same name is that workbook's 情况说明, not a disclosure of its own
    return [p for p in files if p.suffix.lower() != ".pdf" or p.with_suffix("") not in books]


def skipped_files(folder: Path) -> list[tuple[Path, str]]:
    """Spreadsheets below ``folder`` that juesuan cannot read, with the reason."""
    return [(p, OTHER_SHEETS[p.suffix.lower()]) for p in _candidates(folder) if p.suffix.lower() in OTHER_SHEETS]


def _candidates(folder: Path):
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.name.startswith(("~$", ".~")) and p.stem != REPORT_NAME:
            yield p


def _unusable(path: str, message: str) -> dict:
    return {"file": path, "status": "无法读取", "error": message, "valid": False,
            "counts": {"error": 0, "warning": 0, "info": 0}, "findings": [], "department": "", "year": 0}


def _check_chunk(paths: list[str]) -> list[dict]:
    """Check a chunk of files in one go (the pandera schemas run once over the chunk)."""
    from juesuan.validate.engine import check_many
    from juesuan.validate.report import Report

    try:
        results = check_many(paths)
    except Exception:  # a bug in one file must not stop the batch: retry one by one
        results = []
        for p in paths:
            try:
                results.extend(check_many([p]))
            except Exception as exc:
                results.append(exc)
    out = []
    for path, res in zip(paths, results):
        if isinstance(res, Report):
            _attach_narrative(res, Path(path))
            d = res.to_dict()
            d["status"] = "通过" if res.valid else "未通过"
        elif isinstance(res, JuesuanError):
            d = _unusable(path, str(res))
        else:
            d = _unusable(path, f"内部错误：{type(res).__name__}: {res}")
        out.append(d)
    return out


def narrative_beside(workbook: Path) -> Path | None:
    """The 情况说明 that goes with ``workbook``: a file of the same stem (决算公开.xlsx → 决算公开.docx …)."""
    return next((p for p in (workbook.with_suffix(s) for s in NARRATIVE_SUFFIXES) if p.is_file()), None)


def _attach_narrative(report, workbook: Path) -> None:
    """Check the 情况说明 beside the workbook (or its own 情况说明 sheet) into ``report``; one that
    cannot be read is said so in the report's notes, never silently left out."""
    from juesuan.narrative.check import attached_narrative

    beside = narrative_beside(workbook)
    try:
        attached = attached_narrative(workbook, beside)
    except JuesuanError as exc:
        report.notes.append(f"情况说明「{beside.name if beside else workbook.name}」未能检查：{exc}")
        return
    if attached:
        report.narrative, report.narrative_file = attached
        if beside:
            report.narrative_file = beside.name


def _narrative_cells(r: dict) -> list:
    """情况说明 | 错误 | 警告 | 提示 of a file's row in the summary ("" when none was checked)."""
    part = r.get("narrative")
    if not part:
        return ["", "", "", ""]
    return [part["file"]] + [part["counts"][s] for s in ("error", "warning", "info")]


def _warm() -> None:
    """Import the heavy parts once per worker process."""
    import juesuan.validate.engine  # noqa: F401
    from juesuan.validate.frames import preload

    preload()


class Progress:
    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.done, self.stream = total, 0, stream
        self.enabled = stream.isatty() or os.environ.get("JUESUAN_PROGRESS") == "1"

    def step(self, name: str) -> None:
        self.done += 1
        if not self.enabled:
            return
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        bar = "█" * filled + "·" * (width - filled)
        self.stream.write(f"\r检查中 [{bar}] {self.done}/{self.total} {name[:30]:30}")
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def check_folder(folder: Path, workers: int | None = None) -> list[dict]:
    """Every workbook below ``folder`` checked (in parallel), then every spreadsheet it skipped."""
    files = workbook_files(folder)
    skipped = [_skipped(str(p), why) for p, why in skipped_files(folder)]
    if not files and not skipped:
        raise InputError(f"文件夹「{folder}」中没有 Excel 工作簿（.xlsx）。")
    results = _check_files(files, workers) + skipped
    for r in results:  # 甲局/决算公开.xlsx and 乙局/决算公开.xlsx: told apart by the path below the folder
        r["path"] = relative_name(Path(r["file"]), folder)
    return results


def relative_name(path: Path, folder: Path) -> str:
    """``甲局/决算公开.xlsx``: the path below ``folder`` (the file name if it is not below it)."""
    try:
        return str(path.resolve().relative_to(folder.resolve()))
    except ValueError:
        return path.name


def _skipped(path: str, why: str) -> dict:
    d = _unusable(path, f"未检查：{why}不是 juesuan 能读取的格式，请在 Excel/WPS 中另存为 .xlsx。")
    d["status"] = "已跳过"
    return d


def _check_files(files: list[Path], workers: int | None) -> list[dict]:
    if not files:
        return []
    workers = max(1, min(workers or os.cpu_count() or 1, len(files)))
    progress = Progress(len(files))
    results: list[dict] = []
    size = max(1, min(25, len(files) // (workers * 4)))
    chunks = [[str(p) for p in files[i:i + size]] for i in range(0, len(files), size)]
    if workers == 1:
        for chunk in chunks:
            for res in _check_chunk(chunk):
                results.append(res)
                progress.step(Path(res["file"]).name)
        return results
    _warm()  # imported before the pool forks: workers start with everything loaded
    import multiprocessing

    ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    done: set[str] = set()
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            for chunk_results in pool.map(_check_chunk, chunks):
                for res in chunk_results:
                    results.append(res)
                    done.add(res["file"])
                    progress.step(Path(res["file"]).name)
    except BrokenProcessPool:
        # a worker died (a native crash on some file): check the rest one file per process, so the
        # file that kills its process is reported as such and the others are still checked
        for path in (p for chunk in chunks for p in chunk if p not in done):
            results.append(_isolated(path, ctx))
            progress.step(Path(path).name)
    return results


def _isolated(path: str, ctx) -> dict:
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            return pool.submit(_check_chunk, [path]).result()[0]
    except BrokenProcessPool:
        return _unusable(path, "检查这个文件时进程异常退出（文件可能经过特殊构造或严重损坏），未能检查。")


def report_paths(out_dir: Path) -> tuple[Path, Path]:
    """The consolidated reports a folder check writes into ``out_dir``: (xlsx, JSON)."""
    return out_dir / f"{REPORT_NAME}.xlsx", out_dir / f"{REPORT_NAME}.json"


def write_reports(results: list[dict], folder: Path, out_dir: Path, force: bool = True) -> tuple[Path, Path]:
    """The consolidated xlsx and JSON reports; returns their paths."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    from juesuan.util.atomic import save_workbook

    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {
        "folder": str(folder),
        "files": len(results),
        "passed": sum(1 for r in results if r.get("status") == "通过"),
        "failed": sum(1 for r in results if r.get("status") == "未通过"),
        "unreadable": sum(1 for r in results if r.get("status") == "无法读取"),
        "skipped": sum(1 for r in results if r.get("status") == "已跳过"),
        "counts": {s: sum(r["counts"][s] for r in results) for s in ("error", "warning", "info")},
        "narratives": sum(1 for r in results if r.get("narrative")),
        "narrative_counts": {s: sum(r["narrative"]["counts"][s] for r in results if r.get("narrative"))
                             for s in ("error", "warning", "info")},
    }
    data = {"summary": summary, "files": results}
    json_path = out_dir / f"{REPORT_NAME}.json"
    write_text(json_path, json.dumps(data, ensure_ascii=False, indent=2, default=str), force=force, backup=True)

    wb = Workbook()
    ws = wb.active
    ws.title = "按文件汇总"  # a few thousand rows at most: the normal writer keeps styles simple
    append_row(ws, ["文件", "部门", "年度", "结果", "错误", "警告", "提示", "说明",
                    "情况说明", "情况说明错误", "情况说明警告", "情况说明提示"])
    for r in results:
        append_row(ws, [r.get("path") or Path(r["file"]).name, r.get("department", ""), r.get("year") or "", r["status"],
                   r["counts"]["error"], r["counts"]["warning"], r["counts"]["info"], r.get("error", "")]
                   + _narrative_cells(r))
    ws2 = wb.create_sheet("全部问题")
    append_row(ws2, ["文件", "部门", "表", "位置", "规则", "级别", "科目代码", "科目名称", "应为", "实为", "差额", "容差", "说明"])
    for r in results:
        for f in r["findings"] + ((r.get("narrative") or {}).get("findings") or []):
            append_row(ws2, [r.get("path") or Path(r["file"]).name, r.get("department", ""), f["table"], f["location"], f["rule"],
                        f["severity_cn"], f["code"], f["name"], f["expected"], f["actual"], f["difference"],
                        f["tolerance"], f["message"] + (f"（原文：{f['sentence']}）" if f.get("sentence") else "")])
    bold = Font(bold=True)
    for sheet in (ws, ws2):
        for c in sheet[1]:
            c.font = bold
            c.fill = PatternFill(fill_type="solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
    for col, width in zip("ABCDEFGHIJKL", (36, 30, 8, 10, 8, 8, 8, 60, 30, 12, 12, 12)):
        ws.column_dimensions[col].width = width
    for col, width in zip("ABCDEFGHIJKLM", (30, 26, 11, 16, 8, 8, 10, 24, 12, 12, 10, 8, 80)):
        ws2.column_dimensions[col].width = width
    xlsx_path = save_workbook(wb, out_dir / f"{REPORT_NAME}.xlsx", force=force)
    return xlsx_path, json_path
