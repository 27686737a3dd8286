"""``juesuan check DIR``: check every workbook in a folder (the 财政局 reviewer's case).

Files are checked in parallel across cores, with a progress bar; one consolidated report is written
as xlsx (one row per finding, with the file name, and a per-file summary) and JSON.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Iterator

from juesuan.errors import InputError, JuesuanError
from juesuan.util.atomic import refuse_existing

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
    import gc

    # The chunk's workbooks stay loaded until its schemas have run: the cyclic garbage collector walked
    # them again at every collection (10-15 % of an error-heavy chunk). It waits until the chunk is done.
    collecting = gc.isenabled()
    gc.disable()
    try:
        results = _checked(paths)
    finally:
        if collecting:
            gc.enable()
    return [_result(path, res) for path, res in zip(paths, results)]


def _checked(paths: list[str]) -> list:
    from juesuan.validate.engine import check_many

    try:
        return check_many(paths)
    except Exception:  # a bug in one file must not stop the batch: retry one by one
        results = []
        for p in paths:
            try:
                results.extend(check_many([p]))
            except Exception as exc:
                results.append(exc)
        return results


def _result(path: str, res) -> dict:
    """One file's result as the reports take it."""
    from juesuan.validate.report import Report

    if isinstance(res, Report):
        _attach_narrative(res, Path(path))
        d = res.to_dict()
        d["status"] = "通过" if res.valid else "未通过"
    elif isinstance(res, JuesuanError):
        d = _unusable(path, str(res))
    else:
        d = _unusable(path, f"内部错误：{type(res).__name__}: {res}")
    return d


def narrative_beside(workbook: Path) -> Path | None:
    """The 情况说明 that goes with ``workbook``: a file of the same stem (决算公开.xlsx → 决算公开.docx …)."""
    return next((p for p in (workbook.with_suffix(s) for s in NARRATIVE_SUFFIXES) if p.is_file()), None)


def _attach_narrative(report, workbook: Path) -> None:
    """Check the 情况说明 beside the workbook (or its own 情况说明 sheet) into ``report``; one that
    cannot be read is said so in the report's notes, never silently left out."""
    from juesuan.narrative.check import attached_narrative

    beside = narrative_beside(workbook)
    try:
        attached = attached_narrative(workbook, beside, report.source_sheets)
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


class FolderRun:
    """The files below ``folder`` to check; :meth:`results` yields each file's result as it is checked
    (in parallel), then one per spreadsheet skipped. Nothing is kept: a folder of any size runs in the
    same memory."""

    def __init__(self, folder: Path, workers: int | None = None):
        self.folder, self.workers = folder, workers
        self.files = workbook_files(folder)
        self.skipped = skipped_files(folder)
        if not self.files and not self.skipped:
            raise InputError(f"文件夹「{folder}」中没有 Excel 工作簿（.xlsx）。")

    def __len__(self) -> int:
        return len(self.files) + len(self.skipped)

    def results(self) -> Iterator[dict]:
        checked = _check_files(self.files, self.workers)
        for r in itertools.chain(checked, (_skipped(str(p), why) for p, why in self.skipped)):
            # 甲局/决算公开.xlsx and 乙局/决算公开.xlsx: told apart by the path below the folder
            r["path"] = relative_name(Path(r["file"]), self.folder)
            yield r


def check_folder(folder: Path, workers: int | None = None) -> list[dict]:
    """Every workbook below ``folder`` checked (in parallel), then every spreadsheet it skipped."""
    return list(FolderRun(folder, workers).results())


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


def _check_files(files: list[Path], workers: int | None) -> Iterator[dict]:
    if not files:
        return
    workers = max(1, min(workers or os.cpu_count() or 1, len(files)))
    progress = Progress(len(files))
    size = max(1, min(25, len(files) // (workers * 4)))
    chunks = [[str(p) for p in files[i:i + size]] for i in range(0, len(files), size)]
    if workers == 1:
        for chunk in chunks:
            for res in _check_chunk(chunk):
                progress.step(Path(res["file"]).name)
                yield res
        return
    _warm()  # imported before the pool forks: workers start with everything loaded
    import multiprocessing

    ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    done: set[str] = set()
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            for chunk_results in pool.map(_check_chunk, chunks):
                for res in chunk_results:
                    done.add(res["file"])
                    progress.step(Path(res["file"]).name)
                    yield res
    except BrokenProcessPool:
        # a worker died (a native crash on some file): check the rest one file per process, so the
        # file that kills its process is reported as such and the others are still checked
        for path in (p for chunk in chunks for p in chunk if p not in done):
            progress.step(Path(path).name)
            yield _isolated(path, ctx)


def _isolated(path: str, ctx) -> dict:
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            return pool.submit(_check_chunk, [path]).result()[0]
    except BrokenProcessPool:
        return _unusable(path, "检查这个文件时进程异常退出（文件可能经过特殊构造或严重损坏），未能检查。")


def report_paths(out_dir: Path) -> tuple[Path, Path]:
    """The consolidated reports a folder check writes into ``out_dir``: (xlsx, JSON)."""
    return out_dir / f"{REPORT_NAME}.xlsx", out_dir / f"{REPORT_NAME}.json"


_SUMMARY_HEAD = ["文件", "部门", "年度", "结果", "错误", "警告", "提示", "说明",
                 "情况说明", "情况说明错误", "情况说明警告", "情况说明提示"]
_FINDINGS_HEAD = ["文件", "部门", "表", "位置", "规则", "级别", "科目代码", "科目名称", "应为", "实为", "差额", "容差", "说明"]
_STATUS_KEYS = {"通过": "passed", "未通过": "failed", "无法读取": "unreadable", "已跳过": "skipped"}


def summary_row(r: dict) -> list:
    """A file's row of the sheet 按文件汇总 (columns as ``_SUMMARY_HEAD``)."""
    return [r.get("path") or Path(r["file"]).name, r.get("department", ""), r.get("year") or "", r["status"],
            r["counts"]["error"], r["counts"]["warning"], r["counts"]["info"], r.get("error", "")] + _narrative_cells(r)


def finding_rows(r: dict) -> Iterator[list]:
    """A file's rows of the sheet 全部问题, its 情况说明's after its tables' (columns as ``_FINDINGS_HEAD``)."""
    name, department = r.get("path") or Path(r["file"]).name, r.get("department", "")
    for f in r["findings"] + ((r.get("narrative") or {}).get("findings") or []):
        yield [name, department, f["table"], f["location"], f["rule"], f["severity_cn"], f["code"], f["name"],
               f["expected"], f["actual"], f["difference"], f["tolerance"],
               f["message"] + (f"（原文：{f['sentence']}）" if f.get("sentence") else "")]


def _utf8(text: str) -> bytes:
    """JSON text as UTF-8. A file name the system gave undecoded (bytes that are not UTF-8, held as lone
    surrogates) is written as its JSON escape (``\\udcff``), which every JSON reader reads back."""
    if os.linesep != "\n":  # as a file written in text mode ends its lines (Windows: CRLF); JSON
        text = text.replace("\n", os.linesep)  # strings hold no raw line feed: only the layout's are changed
    return text.encode("utf-8", "backslashreplace")


class ReportWriter:
    """The consolidated xlsx and JSON reports of a folder, written as results arrive.

    Each file's result goes to the xlsx (:class:`~juesuan.render.xlsxstream.StreamBook`: its rows go to
    temporary files as they are added) and to a temporary JSON fragment beside the report, encoded as
    ``json.dumps(…, indent=2)`` would (:func:`~juesuan.util.jsontext.indented`); :meth:`close` writes the
    summary and moves both into place atomically. Memory does not grow with the folder.
    """

    def __init__(self, folder: Path, out_dir: Path, force: bool = True):
        from juesuan.render.xlsxstream import StreamBook

        self.folder, self.force = folder, force
        out_dir.mkdir(parents=True, exist_ok=True)
        self.xlsx_path, self.json_path = report_paths(out_dir)
        for path in (self.xlsx_path, self.json_path):
            refuse_existing(path, force)
        self.summary = {"folder": str(folder), "files": 0, "passed": 0, "failed": 0, "unreadable": 0, "skipped": 0,
                        "counts": dict.fromkeys(("error", "warning", "info"), 0), "narratives": 0,
                        "narrative_counts": dict.fromkeys(("error", "warning", "info"), 0)}
        self._fragments = tempfile.TemporaryFile("w+b", dir=out_dir)  # UTF-8, copied into the report as bytes
        self.book = StreamBook(out_dir)
        self.by_file = self.book.sheet("按文件汇总", _SUMMARY_HEAD, (36, 30, 8, 10, 8, 8, 8, 60, 30, 12, 12, 12))
        self.all = self.book.sheet("全部问题", _FINDINGS_HEAD, (30, 26, 11, 16, 8, 8, 10, 24, 12, 12, 10, 8, 80))

    def add(self, r: dict) -> None:
        """One file's result: counted, and written to both reports."""
        from juesuan.util.jsontext import indented

        s = self.summary
        s["files"] += 1
        if r.get("status") in _STATUS_KEYS:
            s[_STATUS_KEYS[r["status"]]] += 1
        for sev in ("error", "warning", "info"):
            s["counts"][sev] += r["counts"][sev]
            if r.get("narrative"):
                s["narrative_counts"][sev] += r["narrative"]["counts"][sev]
        s["narratives"] += 1 if r.get("narrative") else 0
        self._fragments.write(_utf8((",\n    " if s["files"] > 1 else "    ") + indented(r, "    ")))
        self.by_file.append(summary_row(r))
        for row in finding_rows(r):
            self.all.append(row)

    def close(self) -> tuple[Path, Path]:
        """Write the summary and move both reports into place; returns (xlsx, JSON)."""
        from juesuan.util.atomic import atomic_write, save_workbook

        summary = json.dumps({"summary": self.summary}, ensure_ascii=False, indent=2, default=str)

        def write_json(fh):
            fh.write(_utf8(summary[:-2] + ',\n  "files": ['))
            self._fragments.seek(0)
            if self.summary["files"]:
                fh.write(_utf8("\n"))
                shutil.copyfileobj(self._fragments, fh, 1 << 20)
                fh.write(_utf8("\n  "))
            fh.write(_utf8("]\n}"))

        try:
            atomic_write(self.json_path, write_json, force=self.force, backup=True)
            save_workbook(self.book, self.xlsx_path, force=self.force)
        finally:
            self.discard()
        return self.xlsx_path, self.json_path

    def discard(self) -> None:
        """Drop what was written (a run that failed half-way leaves no partial report)."""
        self._fragments.close()
        self.book.close()


def write_reports(results, folder: Path, out_dir: Path, force: bool = True) -> tuple[Path, Path]:
    """The consolidated xlsx and JSON reports of ``results`` (any iterable); returns their paths."""
    writer = ReportWriter(folder, out_dir, force)
    try:
        for r in results:
            writer.add(r)
    except BaseException:
        writer.discard()
        raise
    return writer.close()
