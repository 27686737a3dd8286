"""Time building the template and the filled workbook; prints figures (not a test).

    python benchmarks/bench_build.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import tracemalloc
from pathlib import Path

from juesuan.api import build_template, fill_workbook
from juesuan.catalog import default_catalog
from juesuan.demo import sample_path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import timed  # noqa: E402



def peak_mib(fn):
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    items = sorted(c for c, e in default_catalog(2024).functional.items() if e.level == "项")
    cases = []
    for n in (10, 100, len(items)):
        codes = items[:n]

        def build(codes=codes):
            _, wb = build_template("基准测试局", 2024, codes=codes)
            wb.save(io.BytesIO())
        cases.append((f"template, {n} 项 codes (build + save)", build))

    def fill(which):
        def run():
            _, wb = fill_workbook(sample_path(which))
            wb.save(io.BytesIO())
        return run
    cases.append(("fill sample-careful.yaml (build + save)", fill("careful")))

    def yuan_case(n_codes):
        import random
        from decimal import Decimal
        from pathlib import Path

        from juesuan.api import _from_yuan
        from juesuan.render.workbook import build_workbook
        from juesuan.fill.datafile import DataFile, fill_from_datafile

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

        def run():
            filled = _from_yuan(fill_from_datafile(DataFile(Path("b.yaml"), data)), True)
            build_workbook(filled.layout, filled.values).save(io.BytesIO())
        return run
    for n in (10, 60):
        cases.append((f"fill 元 with 舍位平衡, {n} 项 codes", yuan_case(n)))
    cases.append(("fill sample-published.yaml (build + save)", fill("published")))
    print(f"python {sys.version.split()[0]}, repeat {args.repeat}")
    print(f"{'case':48} {'min s':>8} {'median s':>9} {'peak MiB':>9}")
    for name, fn in cases:
        lo, med = timed(fn, args.repeat)
        print(f"{name:48} {lo:8.3f} {med:9.3f} {peak_mib(fn):9.1f}")


if __name__ == "__main__":
    main()
