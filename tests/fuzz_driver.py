"""Fuzz juesuan with hypothesis: random cell values, random XML mutations of a sheet, random merges,
row insertions and sheet renames — each workbook through ``check`` (JSON report), ``--annotate`` and a
re-annotation of the annotated copy.

A case passes when every step gives a report whose JSON parses, or a clean
:class:`~juesuan.errors.JuesuanError` (a Chinese message for an unusable file): never another
exception. Run as a process with an address-space cap, so a native abort or a runaway allocation
fails the run instead of the machine:

    python -m tests.fuzz_driver --examples 200 --memory-gib 3

It prints one JSON line of statistics (cases, failures, outcomes, peak RSS) and exits 1 on a failure.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import traceback
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]

VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.text(max_size=40),
    st.sampled_from(["NaN", "inf", "-inf", "1e999999999", "-1e-999999999", "9" * 29, "=1+2", "=SUM(A1:A3)",
                     '=HYPERLINK("http://x","点我")', "=cmd|' /C calc'!A0", "#REF!", "#DIV/0!", "１２３．４５",
                     "(1.00)", "1,234.56", "—", "\x07\x1b[2J", "x" * 32767, "0E-999999999"]),
)
SHEETS = ["公开01表", "公开02表", "公开03表", "公开04表", "公开05表", "公开06表", "公开07表", "公开08表", "公开09表"]


def _base(folder: Path) -> Path:
    from juesuan.fill.datafile import fill_from_datafile, read_datafile
    from juesuan.render.workbook import build_workbook
    from juesuan.util.atomic import save_workbook

    # the published sample (errors included), tables only: the live 校验 sheet would only slow every case
    filled = fill_from_datafile(read_datafile(ROOT / "workbooks" / "sample-published.yaml"))
    return save_workbook(build_workbook(filled.layout, filled.values, live_checks=False), folder / "base.xlsx")


def _put(ws, coord, value):
    ws.protection.sheet = False
    c = ws[coord]
    if type(c).__name__ == "MergedCell":
        return
    try:
        c.value = value
    except Exception:  # openpyxl refuses control characters: the XML mutations cover those
        c.value = repr(value)


def _edit_cells(base: Path, out: Path, edits, structure) -> Path:
    wb = openpyxl.load_workbook(base)
    for sheet, row, col, value in edits:
        _put(wb[SHEETS[sheet]], f"{openpyxl.utils.get_column_letter(col)}{row}", value)
    rnd = random.Random(structure)
    for _ in range(structure % 4):
        ws = wb[rnd.choice(wb.sheetnames)]
        what = rnd.randrange(4)
        r, c = rnd.randint(1, 40), rnd.randint(1, 12)
        if what == 0:
            try:
                ws.merge_cells(start_row=r, start_column=c, end_row=r + rnd.randint(0, 2), end_column=c + rnd.randint(1, 2))
            except Exception:
                pass
        elif what == 1:
            ws.insert_rows(r, amount=rnd.randint(1, 3))
        elif what == 2:
            ws.title = f"S{rnd.randint(0, 99)}"
        else:
            ws.delete_rows(r, amount=1)
    wb.save(out)
    return out


def _mutate_xml(base: Path, out: Path, seed: int) -> Path:
    rnd = random.Random(seed)
    with zipfile.ZipFile(base) as src:
        items = [(i, src.read(i.filename)) for i in src.infolist()]
    target = rnd.choice([n for n, (i, _) in enumerate(items) if i.filename.startswith("xl/worksheets/")])
    info, data = items[target]
    kind = rnd.randrange(6)
    if kind == 0:  # a far cell
        data = data.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')
    elif kind == 1:  # a broken escape
        data = data.replace(b"<v>", b"<v>&bogus;", 1)
    elif kind == 2:  # control characters as XML escapes
        data = data.replace(b"<v>", b"<v>_x0007__x001B_", 1)
    elif kind == 3:  # truncate the member
        data = data[: rnd.randrange(len(data))]
    elif kind == 4:  # random bytes flipped
        b = bytearray(data)
        for _ in range(rnd.randint(1, 20)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        data = bytes(b)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for n, (i, d) in enumerate(items):
            if n == target and kind == 5:
                continue  # a deleted part
            dst.writestr(i, data if n == target else d)
    if kind == 5 or rnd.random() < 0.1:  # sometimes also flip a byte of the compressed file
        raw = bytearray(out.read_bytes())
        raw[rnd.randrange(100, len(raw))] ^= 0xFF
        out.write_bytes(bytes(raw))
    return out


def run_case(path: Path, folder: Path, stats: Counter) -> None:
    """check → JSON → annotate → re-annotate; a clean JuesuanError ends the case early."""
    from juesuan.check import check
    from juesuan.errors import JuesuanError
    from juesuan.writeback.marks import annotate_file

    try:
        report = check(path)
    except JuesuanError:
        stats["refused"] += 1
        return
    json.loads(report.to_json())
    first, second = folder / "a1.xlsx", folder / "a2.xlsx"
    for p in (first, second):
        p.unlink(missing_ok=True)
    try:
        for counts in (annotate_file(path, first, report), annotate_file(first, second, check(first))):
            stats[f"annotate-{counts.get('writer')}"] += 1  # package: the original kept; openpyxl: the fallback
    except JuesuanError:
        stats["annotate-refused"] += 1
        return
    stats["checked"] += 1


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=60)
    ap.add_argument("--memory-gib", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--derandomize", action="store_true", help="the same examples every run (CI)")
    args = ap.parse_args()
    cap = int(args.memory_gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    stats: Counter = Counter()
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = _base(folder)
        common = settings(max_examples=args.examples, deadline=None, database=None, derandomize=args.derandomize,
                          suppress_health_check=list(HealthCheck))

        def guarded(kind: str, make):
            stats["cases"] += 1
            path = folder / f"{kind}.xlsx"
            try:
                run_case(make(path), folder, stats)
            except Exception:
                stats["failures"] += 1
                failures.append(f"{kind}: {traceback.format_exc(limit=6)}")

        @common
        @given(edits=st.lists(st.tuples(st.integers(0, 8), st.integers(1, 45), st.integers(1, 12), VALUES), max_size=6),
               structure=st.integers(0, 10**6))
        def cells(edits, structure):
            guarded("cells", lambda p: _edit_cells(base, p, edits, structure))

        @common
        @given(seed=st.integers(0, 10**9))
        def xml(seed):
            guarded("xml", lambda p: _mutate_xml(base, p, seed))

        random.seed(args.seed)
        cells()
        xml()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps({"cases": stats["cases"], "failures": stats["failures"], "outcomes": dict(stats),
                      "peak_rss_mib": peak, "memory_cap_gib": args.memory_gib}, ensure_ascii=False))
    for f in failures[:5]:
        print(f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
