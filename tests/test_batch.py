"""The folder reports are written as results arrive: the JSON must be exactly what one json.dumps of
everything would give, the xlsx must hold every row, text stays text, and a run that fails half-way
leaves no partial report."""

from __future__ import annotations

import json

import openpyxl
import pytest

from juesuan.batch import write_reports


def _finding(i, message):
    return {"table": "公开02表", "location": f"公开02表!C{i}", "rule": "R02-1", "severity_cn": "错误",
            "code": "201", "name": "=SUM(A1)", "expected": "1.00", "actual": "2.00", "difference": "1.00",
            "tolerance": "0.01", "message": message}


def _results():
    return [
        {"file": "/x/甲局.xlsx", "path": "甲局.xlsx", "status": "未通过", "valid": False, "department": "甲局",
         "year": 2024, "counts": {"error": 2, "warning": 0, "info": 0},
         "findings": [_finding(7, "行\u2028分隔与换行\n都保留"), _finding(8, "=1+1 是文字")],
         "narrative": {"file": "甲局.docx", "counts": {"error": 1, "warning": 0, "info": 0},
                       "findings": [dict(_finding(0, "情况说明"), sentence="支出 5249.23 万元")]}},
        {"file": "/x/乙局.xlsx", "path": "乙局.xlsx", "status": "通过", "valid": True, "department": "乙局",
         "year": 2024, "counts": {"error": 0, "warning": 0, "info": 1}, "findings": []},
        {"file": "/x/丙.ods", "path": "丙.ods", "status": "已跳过", "valid": False, "error": "未检查：…",
         "counts": {"error": 0, "warning": 0, "info": 0}, "findings": [], "department": "", "year": 0},
    ]


def test_streamed_reports_equal_the_whole(tmp_path):
    results = _results()
    xlsx, js = write_reports(iter(results), tmp_path, tmp_path / "out")
    expected_summary = {"folder": str(tmp_path), "files": 3, "passed": 1, "failed": 1, "unreadable": 0,
                        "skipped": 1, "counts": {"error": 2, "warning": 0, "info": 1}, "narratives": 1,
                        "narrative_counts": {"error": 1, "warning": 0, "info": 0}}
    whole = json.dumps({"summary": expected_summary, "files": results}, ensure_ascii=False, indent=2)
    assert js.read_text(encoding="utf-8") == whole
    wb = openpyxl.load_workbook(xlsx)
    summary, findings = wb["按文件汇总"], wb["全部问题"]
    assert [c.value for c in summary["A"]][1:] == ["甲局.xlsx", "乙局.xlsx", "丙.ods"]
    assert summary.auto_filter.ref == "A1:L4" and summary.freeze_panes == "A2"
    rows = list(findings.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 3
    assert rows[0][7] == "=SUM(A1)" and findings["H2"].data_type == "s", "a name from a workbook is text"
    assert rows[1][12] == "=1+1 是文字"
    assert rows[2][12] == "情况说明（原文：支出 5249.23 万元）"


def test_an_empty_run_and_a_failed_run(tmp_path):
    xlsx, js = write_reports(iter([]), tmp_path, tmp_path / "empty")
    assert json.loads(js.read_text(encoding="utf-8"))["files"] == []

    def broken():
        yield _results()[0]
        raise RuntimeError("a worker failed")

    with pytest.raises(RuntimeError):
        write_reports(broken(), tmp_path, tmp_path / "broken")
    assert not list((tmp_path / "broken").glob("*")), "no partial report, no temporary file"


def test_existing_reports_are_kept(tmp_path):
    """The --force rule of every output: refused without it, kept as .bak with it."""
    from juesuan.errors import OutputError

    xlsx, js = write_reports(iter(_results()), tmp_path, tmp_path / "out")
    before = xlsx.read_bytes(), js.read_bytes()
    with pytest.raises(OutputError, match="--force"):
        write_reports(iter(_results()), tmp_path, tmp_path / "out", force=False)
    assert (xlsx.read_bytes(), js.read_bytes()) == before
    write_reports(iter(_results()[:1]), tmp_path, tmp_path / "out", force=True)
    assert (xlsx.with_name(xlsx.name + ".bak").read_bytes(), js.with_name(js.name + ".bak").read_bytes()) == before
    assert json.loads(js.read_text(encoding="utf-8"))["summary"]["files"] == 1
    assert [c.value for c in openpyxl.load_workbook(xlsx)["按文件汇总"]["A"]] == ["文件", "甲局.xlsx"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [xlsx.name, js.name, xlsx.name + ".bak", js.name + ".bak"]), "no temporary file left"


def test_a_file_name_that_is_not_utf8_is_checked_and_reported(tmp_path, sample_xlsx):
    """A name the system hands over undecoded (bytes of another encoding, as a USB stick from an older
    system may carry) is read, checked and listed in both reports; nothing crashes at the end."""
    import os
    import shutil

    from juesuan.batch import FolderRun

    folder = tmp_path / "in"
    folder.mkdir()
    try:
        shutil.copy(sample_xlsx("careful"), os.path.join(os.fsencode(folder), b"\xb2\xc6\xd5\xfe.xlsx"))  # 财政 in GBK
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    shutil.copy(sample_xlsx("careful"), folder / "乙局.xlsx")
    xlsx, js = write_reports(FolderRun(folder, workers=1).results(), folder, tmp_path / "out")
    files = json.loads(js.read_text(encoding="utf-8"))["files"]
    assert sorted(f["path"] for f in files) == sorted(["\udcb2\udcc6\udcd5\udcfe.xlsx", "乙局.xlsx"])
    assert [f["status"] for f in files] == ["通过", "通过"], "the undecodable name must not make the file unreadable"
    names = [c.value for c in openpyxl.load_workbook(xlsx)["按文件汇总"]["A"]][1:]
    assert sorted(names) == sorted(["\ufffd" * 4 + ".xlsx", "乙局.xlsx"])


def test_the_json_report_ends_its_lines_as_the_system_does(tmp_path, monkeypatch):
    """On Windows a text file's lines end in CRLF (the single-file report is written so): the folder's
    JSON, written in pieces as bytes, ends its lines the same way, and still reads as the same JSON."""
    import os

    monkeypatch.setattr(os, "linesep", "\r\n")
    results = _results()
    _, js = write_reports(iter(results), tmp_path, tmp_path / "crlf")
    raw = js.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert json.loads(raw.decode("utf-8"))["files"] == results
