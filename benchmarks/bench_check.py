"""Time `juesuan check`: per workbook in process, and over a folder of generated workbooks, each
beside python-calamine's raw read of the same files (the floor). Prints figures (not a test).

    python benchmarks/bench_check.py [--files 200] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import openpyxl

from juesuan.api import fill_workbook
from juesuan.util.atomic import save_workbook
from juesuan.demo import sample_path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import timed  # noqa: E402


def calamine_read(path: Path, tables_only: bool = False) -> int:
    """The floor: python-calamine reading every sheet's values (or only the nine 公开 sheets)."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    names = [n for n in wb.sheet_names if not tables_only or n.startswith("公开")]
    return sum(len(wb.get_sheet_by_name(n).to_python()) for n in names)



def generate(folder: Path, n: int) -> list[Path]:
    """n workbooks: the two samples, with random input cells changed in half of them."""
    rng = random.Random(20241)
    bases = []
    for which in ("careful", "published"):
        _, wb = fill_workbook(sample_path(which))
        bases.append(save_workbook(wb, folder / f"_base_{which}.xlsx"))
    files = []
    for i in range(n):
        base = bases[i % 2]
        out = folder / f"部门{i:03d}.xlsx"
        if i % 4 < 2:
            shutil.copy(base, out)
        else:
            wb = openpyxl.load_workbook(base)
            ws = wb["公开03表"]
            r = rng.randrange(8, 30)
            ws[f"D{r}"].value = float(Decimal(rng.randrange(0, 50000)) / 100)
            wb.save(out)
        files.append(out)
    for b in bases:
        b.unlink()
    return files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from juesuan.validate.engine import check

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        one = generate(tmp, 2)
        print(f"\n{'per workbook, in process':40} {'min ms':>8} {'median ms':>10}")
        for path in one:
            lo, med = timed(lambda: calamine_read(path), args.repeat)
            print(f"{'  calamine, all sheets ' + path.name:40} {lo * 1000:8.1f} {med * 1000:10.1f}")
            lo1, med1 = timed(lambda: calamine_read(path, True), args.repeat)
            print(f"{'  calamine, 9 table sheets ' + path.name:40} {lo1 * 1000:8.1f} {med1 * 1000:10.1f}")
            lo2, med2 = timed(lambda: check(path), args.repeat)
            print(f"{'  juesuan check ' + path.name:40} {lo2 * 1000:8.1f} {med2 * 1000:10.1f}   "
                  f"ratio {med2 / med:5.1f}× (all sheets), {med2 / med1:5.1f}× (table sheets)")
        for p in one:
            p.unlink()

        folder = tmp / "folder"
        folder.mkdir()
        files = generate(folder, args.files)
        t0 = time.perf_counter()
        for p in files:
            calamine_read(p)
        raw = time.perf_counter() - t0
        t0 = time.perf_counter()
        for p in files:
            calamine_read(p, True)
        raw_tables = time.perf_counter() - t0
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "juesuan", "check", str(folder), "-o", str(tmp / "out")],
                              capture_output=True, text=True)
        cli = time.perf_counter() - t0
        print(f"\n{args.files} workbooks")
        print(f"  calamine raw read, all sheets, one process   {raw:8.2f} s")
        print(f"  calamine raw read, 9 table sheets           {raw_tables:8.2f} s")
        print(f"  juesuan check DIR (process, all cores)      {cli:8.2f} s   ratio {cli / raw:5.1f}× (all sheets), "
              f"{cli / raw_tables:5.1f}× (table sheets)   exit {proc.returncode}")
        print(f"  {proc.stdout.strip().splitlines()[-3] if proc.stdout else proc.stderr[-300:]}")


if __name__ == "__main__":
    main()
