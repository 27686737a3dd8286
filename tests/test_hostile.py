"""Hostile input and the user's files (each a regression of something that once broke): far cells,
formulas made of user text, absurd amounts, damaged zips, file permissions, pipes and escape sequences."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from juesuan.api import fill_workbook
from juesuan.check import check
from juesuan.util.atomic import save_workbook

from .conftest import ROOT, run_cli

INJECT = '=HYPERLINK("http://example.invalid","点我")'
DDE = "=cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def base(careful_path, tmp_path_factory):
    """The careful sample without the live 校验 sheet (a tenth of the cells: these tests are about the
    tables and the marks, and every openpyxl load of the full workbook costs a second)."""
    return _tables_only(careful_path, tmp_path_factory.mktemp("hostile") / "base.xlsx")


def _tables_only(data, out):
    from juesuan.fill.datafile import fill_from_datafile, read_datafile
    from juesuan.render.workbook import build_workbook

    filled = fill_from_datafile(read_datafile(data))
    return save_workbook(build_workbook(filled.layout, filled.values, live_checks=False), out)


def _edited(base, out, sheet, cell, value):
    wb = openpyxl.load_workbook(base)
    wb[sheet][cell].value = value
    if isinstance(value, str) and value.startswith("="):
        wb[sheet][cell].data_type = "s"  # as a user's text, not a formula
    wb.save(out)
    return out


def _formulas(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return [f.decode() for n in z.namelist() if n.startswith("xl/worksheets/")
                for f in re.findall(rb"<f>(.*?)</f>", z.read(n))]


# --- 1. bounded reading ----------------------------------------------------------------------------


def test_a_far_cell_is_not_allocated_and_the_tables_are_still_checked(base, tmp_path):
    wb = openpyxl.load_workbook(base)
    wb["公开02表"]["XFD1048576"] = "x"
    wb.save(tmp_path / "far.xlsx")
    # run in a process whose address space is capped at 3 GiB: a dense read would need 512 GiB
    code = ("import resource,sys; resource.setrlimit(resource.RLIMIT_AS,(3*2**30,3*2**30));"
            "from juesuan.check import check; r=check(sys.argv[1]); print(r.errors, '|'.join(r.notes))")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "far.xlsx")], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    errors, notes = proc.stdout.strip().split(" ", 1)
    assert errors == "0" and "远在表格之外" in notes and "公开02表" in notes
    # and the findings are those of the workbook without the far cell
    assert check(tmp_path / "far.xlsx").flat() == check(base).flat()


def test_a_declared_unpacked_size_beyond_the_limit_is_refused(base, tmp_path):
    out = tmp_path / "huge.xlsx"
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/media/pad.bin", b"\0" * (70 * 2**20))  # compresses to almost nothing
    res = run_cli("check", out)
    assert res.returncode == 2 and "疑似恶意文件" in res.stderr and "Traceback" not in res.stderr


# --- 2. no formula made from user text --------------------------------------------------------------


def test_user_text_is_never_written_as_a_formula(tmp_path):
    data = (ROOT / "workbooks" / "sample-careful.yaml").read_text(encoding="utf-8")
    data = re.sub(r"^部门: .*$", f"部门: '{INJECT}'", data, count=1, flags=re.M)
    data += f'\n科目名称: {{"2060399": "{DDE}"}}\n' if "科目名称:" not in data else ""
    src = tmp_path / "inject.yaml"
    src.write_text(data, encoding="utf-8")
    _, wb = fill_workbook(src)
    path = save_workbook(wb, tmp_path / "inject.xlsx")
    assert not [f for f in _formulas(path) if "HYPERLINK" in f or "cmd" in f]
    # annotate: the department and names are copied into 校验结果
    out = tmp_path / "marked.xlsx"
    res = run_cli("check", path, "--annotate", out)
    assert res.returncode in (0, 1), res.stderr
    assert not [f for f in _formulas(out) if "HYPERLINK" in f or "cmd" in f]
    ws = openpyxl.load_workbook(out)["校验结果"]
    assert any(c.value == INJECT and c.data_type == "s" for row in ws.iter_rows() for c in row)


def test_the_folder_report_keeps_user_text_as_text(base, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _edited(base, folder / "a.xlsx", "公开02表", "B10", DDE)
    out = tmp_path / "out"
    res = run_cli("check", folder, "-o", out)
    assert res.returncode in (0, 1), res.stderr
    report = next(out.glob("*.xlsx"))
    assert not [f for f in _formulas(report) if "cmd" in f]


# --- 3. any amount ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1e26", "9" * 29, "1e999999999", "-1e-999999999", 1e300])
def test_absurd_amounts_are_v01_at_their_cell(base, tmp_path, value):
    report = check(_edited(base, tmp_path / "big.xlsx", "公开02表", "D10", value))
    at = [f for f in report.findings if f.location == "公开02表!D10"]
    assert [(f.rule, f.severity, f.template) for f in at] == [("V-01", "error", "frame_checks.amount_parsed.out_of_range")]
    assert len(report.to_json()) < 200_000


# --- 7. damaged files ------------------------------------------------------------------------------


def test_a_flipped_byte_in_a_compressed_member_is_the_damaged_file_message(base, tmp_path):
    data = bytearray(base.read_bytes())
    with zipfile.ZipFile(base) as z:
        info = z.getinfo("xl/worksheets/sheet2.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 20
    data[start] ^= 0xFF
    bad = tmp_path / "flipped.xlsx"
    bad.write_bytes(bytes(data))
    res = run_cli("check", bad)
    assert res.returncode == 2 and "Traceback" not in res.stderr and "flipped.xlsx" in res.stderr


# --- 11. terminal and pipes ------------------------------------------------------------------------


def test_a_closed_pipe_is_no_traceback():
    proc = subprocess.run(f"{sys.executable} -m juesuan rules | head -1", shell=True, capture_output=True, text=True)
    assert "Traceback" not in proc.stderr and proc.stdout.strip()


def test_an_ascii_console_gets_question_marks_not_a_traceback():
    proc = subprocess.run([sys.executable, "-m", "juesuan", "rules"], capture_output=True,
                          env=dict(os.environ, PYTHONIOENCODING="ascii"))
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr and b"R01-1" in proc.stdout


def test_escape_sequences_from_a_workbook_never_reach_the_terminal(base, tmp_path):
    plain = _edited(base, tmp_path / "plain.xlsx", "公开02表", "B10", "其他ESC[2JESC[32m通过ESC[0m")
    path = tmp_path / "esc.xlsx"  # openpyxl refuses ESC: written as the XML escape _x001B_, as Excel does
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename).replace(b"ESC[", b"_x001B_["))
    res = run_cli("check", path)
    assert "[2J" in res.stdout  # the text is shown, without the escape character
    assert "\x1b" not in res.stdout and "\x1b" not in res.stderr


# --- 12. files colleagues can open -----------------------------------------------------------------


def test_outputs_follow_the_umask(base, tmp_path):
    old = os.umask(0o022)
    try:
        _, wb = fill_workbook(ROOT / "workbooks" / "sample-careful.yaml")
        out = save_workbook(wb, tmp_path / "perm.xlsx")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


# --- 4. the original is never lost -------------------------------------------------------------------


def test_force_twice_keeps_every_original(tmp_path):
    out = tmp_path / "t.xlsx"
    out.write_bytes(b"the user's own file")
    for i in range(2):
        res = run_cli("template", "-o", out, "--dept", f"局{i}", "--force")
        assert res.returncode == 0, res.stderr
    assert (tmp_path / "t.xlsx.bak").read_bytes() == b"the user's own file"
    assert (tmp_path / "t.xlsx.bak.2").exists()


def test_concurrent_writers_keep_the_original(tmp_path):
    out = tmp_path / "c.xlsx"
    out.write_bytes(b"original")
    procs = [subprocess.Popen([sys.executable, "-m", "juesuan", "template", "-o", str(out), "--dept", f"局{i}",
                               "--force"], stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(4)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    kept = [p.read_bytes() for p in tmp_path.glob("c.xlsx.bak*")]
    assert b"original" in kept and len(kept) == 4
    assert openpyxl.load_workbook(out)  # the newest is a whole workbook


def test_migrate_never_replaces_its_own_input(base, tmp_path):
    src = tmp_path / "old.xlsx"
    src.write_bytes(base.read_bytes())
    res = run_cli("migrate", src, "-o", src, "--force")
    assert res.returncode == 2 and "不能覆盖" in res.stderr
    assert src.read_bytes() == base.read_bytes()


# --- 6. annotate never crashes -----------------------------------------------------------------------


def test_annotate_marks_the_top_left_of_a_merged_range(base, tmp_path):
    from juesuan.writeback.marks import annotate_file

    wb = openpyxl.load_workbook(base)
    ws = wb["公开02表"]
    ws["D10"].value = 999.0  # a mismatch at D10 …
    ws.merge_cells("D10:E10")  # … inside a merged range
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    report = check(path)
    counts = annotate_file(path, tmp_path / "m.xlsx", report)
    assert counts["cells"] > 0
    assert openpyxl.load_workbook(tmp_path / "m.xlsx")["公开02表"]["D10"].comment is not None


@pytest.mark.parametrize("state", ["not json", "[1, 2]", '{"cells": [1]}',
                                   '{"cells": {"公开02表!D10": {"fill": {"type": 5, "fg": 7}, "note": 3}}}',
                                   '{"cells": {"公开02表!ZZZZ0": {"fill": null, "note": null}}}',
                                   '{"status": {"公开02表": {"cell": "=A1", "value": {"x": 1}}}}',
                                   '{"results": "公开01表"}'])
def test_a_crafted_marks_sheet_is_ignored_not_a_crash(base, tmp_path, state):
    from juesuan.util.names import STATE_SHEET
    from juesuan.writeback.marks import annotate_file

    wb = openpyxl.load_workbook(base)
    wb["公开02表"]["D10"].value = 999.0
    ws = wb.create_sheet(STATE_SHEET)
    ws["A1"].value = state
    ws.sheet_state = "veryHidden"
    path = tmp_path / "crafted.xlsx"
    wb.save(path)
    annotate_file(path, tmp_path / "out.xlsx", check(path))
    out = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert "公开01表" in out.sheetnames  # never a sheet juesuan did not make


def test_a_users_own_sheet_named_like_ours_is_kept(base, tmp_path):
    from juesuan.util.names import RESULTS_SHEET
    from juesuan.writeback.marks import annotate_file

    wb = openpyxl.load_workbook(base)
    wb["公开02表"]["D10"].value = 999.0
    wb.create_sheet(RESULTS_SHEET)["A1"] = "我自己的说明"
    path = tmp_path / "own.xlsx"
    wb.save(path)
    annotate_file(path, tmp_path / "out.xlsx", check(path))
    out = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert out[RESULTS_SHEET]["A1"].value == "我自己的说明"
    assert f"{RESULTS_SHEET}（juesuan）" in out.sheetnames


# --- 10. folder mode reports what it skipped -----------------------------------------------------------


def test_folder_mode_lists_skipped_spreadsheets(base, tmp_path):
    folder = tmp_path / "in"
    (folder / "甲局").mkdir(parents=True)
    (folder / "甲局" / "决算公开.xlsx").write_bytes(base.read_bytes())
    (folder / "乙局.ods").write_bytes(b"PK\x03\x04 not really")
    (folder / "丙局.csv").write_text("a,b\n", encoding="utf-8")
    (folder / "juesuan-我的.xlsx").write_bytes(base.read_bytes())
    out = tmp_path / "out"
    res = run_cli("check", folder, "-o", out, "--format", "json")
    import json

    data = json.loads(res.stdout)
    status = {Path(f["file"]).name: f["status"] for f in data["files"]}
    assert status["乙局.ods"] == "已跳过" and status["丙局.csv"] == "已跳过"
    assert status["juesuan-我的.xlsx"] in ("通过", "未通过")  # a user's file, whatever its name
    assert data["summary"]["skipped"] == 2 and res.returncode == 1


# --- the fuzz suite ----------------------------------------------------------------------------------


def test_fuzzed_workbooks_give_a_report_or_a_clean_refusal_within_a_memory_cap():
    """tests/fuzz_driver.py, small: random values, XML mutations, merges, inserted rows, renamed sheets
    through check, JSON, annotate and re-annotate, under a 3 GiB address-space cap. A larger run:
    ``python -m tests.fuzz_driver --examples 200``."""
    proc = subprocess.run([sys.executable, "-m", "tests.fuzz_driver", "--examples", "5", "--memory-gib", "3",
                           "--derandomize"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-4000:]
    import json

    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    assert stats["failures"] == 0 and stats["cases"] >= 10 and stats["outcomes"].get("checked", 0) > 0


# --- 8. write errors are messages ------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    lambda base, bad: ["check", base.parent, "-o", bad / "reports"],
    lambda base, bad: ["demo", "-o", bad / "demo"],
    lambda base, bad: ["check", base, "--annotate", bad / "marked.xlsx"],
    lambda base, bad: ["template", "-o", bad / "t.xlsx", "--dept", "某局"],
])
def test_an_output_that_cannot_be_written_is_a_message(base, tmp_path, args):
    bad = tmp_path / "a-file"
    bad.write_text("not a folder", encoding="utf-8")
    res = run_cli(*args(base, bad))
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert "Traceback" not in res.stderr and "错误" in res.stderr
    assert not list(tmp_path.glob(".juesuan-*"))


def test_a_full_disk_is_a_message():
    proc = subprocess.run(f"{sys.executable} -m juesuan rules > /dev/full", shell=True, capture_output=True,
                          text=True)
    assert "Traceback" not in proc.stderr and proc.returncode != 0


# --- 5. recalc is safe ---------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"a,b\n1,2\n", bytes(range(256)) * 20, b""])
def test_recalc_refuses_what_is_not_a_workbook(libreoffice, tmp_path, content):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(content)
    res = run_cli("recalc", bad, "-o", tmp_path / "out")
    assert res.returncode == 2 and "Traceback" not in res.stderr and "已重算" not in res.stdout
    assert not (tmp_path / "out" / "bad.xlsx").exists()


def test_recalc_does_not_overwrite_a_same_named_file(libreoffice, base, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "base.xlsx").write_bytes(b"someone else's file")
    res = run_cli("recalc", base, "-o", out)
    assert res.returncode == 2 and "已存在" in res.stderr
    assert (out / "base.xlsx").read_bytes() == b"someone else's file"


def test_recalc_past_its_timeout_leaves_no_libreoffice_running(libreoffice, base, tmp_path, _libreoffice_batch):
    from juesuan.errors import JuesuanError
    from juesuan.recalc import recalculate

    if _libreoffice_batch is not None:  # the session's own conversion, still running in the background, is
        _libreoffice_batch.join()       # not the LibreOffice this test looks for
    with pytest.raises(JuesuanError, match="已终止"):
        recalculate(base, tmp_path / "out", timeout=0.05)
    import time

    time.sleep(0.5)
    # this run's LibreOffice (its output folder is in its command line), not another session's on the machine
    running = subprocess.run(["pgrep", "-f", str(tmp_path / "out")], capture_output=True, text=True).stdout.split()
    assert not running, running
