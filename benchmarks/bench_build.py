"""Time building the template and the filled workbook, each beside a floor measured in the same run:
openpyxl writing the same nine table sheets' values (formulas as text, no styles, no 校验 sheet), built
from the case's own output. Case and floor runs alternate (A F A F …) so that a busy machine slows both;
the ratio of the medians is what counts. Prints figures (not a test).

    python benchmarks/bench_build.py [--repeat 5] [--only template-620,fill-careful]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from juesuan.api import build_template, fill_workbook
from juesuan.catalog import default_catalog
from juesuan.demo import sample_path


def peak_mib(fn):
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def floor_of(wb, n_tables: int = 9):
    """The floor: a new workbook with the values of ``wb``'s first nine sheets, appended and saved."""
    sheets = [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in wb.worksheets[:n_tables]]

    def run():
        out = Workbook()
        out.remove(out.active)
        for title, rows in sheets:
            ws = out.create_sheet(title)
            for row in rows:
                ws.append(row)
        out.save(io.BytesIO())
    return run


def paired(case, floor, repeat: int) -> tuple[float, float, float]:
    """(median case s, median floor s, median of the per-pair ratios), after one warm-up of each."""
    case(), floor()
    cs, fs = [], []
    for _ in range(repeat):
        for fn, acc in ((case, cs), (floor, fs)):
            t0 = time.perf_counter()
            fn()
            acc.append(time.perf_counter() - t0)
    return statistics.median(cs), statistics.median(fs), statistics.median(c / f for c, f in zip(cs, fs))


def _yuan_case(items, n_codes):
    from juesuan.api import _from_yuan
    from juesuan.fill.datafile import DataFile, fill_from_datafile
    from juesuan.render.workbook import build_workbook

    rng = random.Random(n_codes)
    codes = items[:n_codes]
    y = lambda: Decimal(rng.randint(0, 300_000_000)) / 100
    rows3, rows2, rows5, total = [], [], [], Decimal(0)
    for c in codes:
        b, p = y(), y()
        total += b + p
        rows3.append([c, None, None, b, p, 0, 0, 0])
        rows2.append([c, None, None, b + p, 0, 0, 0, 0, 0])
        rows5.append([c, None, None, b, p])
    basic = sum(r[3] for r in rows3)
    data = {"部门": "基准测试局", "年度": 2024, "公开02表": {"科目": rows2}, "公开03表": {"科目": rows3},
            "公开05表": {"科目": rows5}, "公开06表": {"30101": basic / 2, "30102": basic - basic / 2},
            "公开01表": {"1": total}}

    def make():
        filled = _from_yuan(fill_from_datafile(DataFile(Path("b.yaml"), data)), True)
        return build_workbook(filled.layout, filled.values)
    return make


def cases():
    """(key, description, make): ``make()`` builds the workbook; the case is make + save."""
    items = sorted(c for c, e in default_catalog(2024).functional.items() if e.level == "项")
    out = []
    for n in (10, 100, len(items)):
        out.append((f"template-{n}", f"template, {n} 项 codes (build + save)",
                    lambda codes=items[:n]: build_template("基准测试局", 2024, codes=codes)[1]))
    for which in ("careful", "published"):
        out.append((f"fill-{which}", f"fill sample-{which}.yaml (build + save)",
                    lambda which=which: fill_workbook(sample_path(which))[1]))
    for n in (10, 60):
        out.append((f"yuan-{n}", f"fill 元 with 舍位平衡, {n} 项 codes", _yuan_case(items, n)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated case keys (template-620, fill-careful …)")
    ap.add_argument("--no-memory", action="store_true")
    args = ap.parse_args()
    only = {k for k in args.only.split(",") if k}
    print(f"python {sys.version.split()[0]}, repeat {args.repeat} (medians; floor = openpyxl writing the "
          f"same nine sheets' values)")
    print(f"{'case':44} {'case s':>8} {'floor s':>8} {'ratio':>6} {'peak MiB':>9}")
    for key, name, make in cases():
        if only and key not in only:
            continue

        def case(make=make):
            make().save(io.BytesIO())
        floor = floor_of(make())
        med, fmed, ratio = paired(case, floor, args.repeat)
        peak = "" if args.no_memory else f"{peak_mib(case):9.1f}"
        print(f"{name:44} {med:8.3f} {fmed:8.3f} {ratio:6.1f} {peak}", flush=True)


if __name__ == "__main__":
    main()
