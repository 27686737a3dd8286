"""Time the check of one workbook, or of many through ``check_many``, in one process: the figure
printed is milliseconds per workbook. Run it under two checkouts side by side to compare readers
(set PYTHONPATH to each checkout's ``src``); the ratio of the two runs is the figure to quote.

    python benchmarks/bench_reader.py one 部门.xlsx 40      # one workbook, checked 40 times
    python benchmarks/bench_reader.py many 文件夹 60         # the first 60 workbooks of a folder
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from juesuan.check import check, check_many


def main() -> None:
    mode, target, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    if mode == "one":
        check(target)
        t = time.perf_counter()
        for _ in range(n):
            check(target)
        print(f"{(time.perf_counter() - t) / n * 1000:.1f}")
    else:
        files = sorted(target.glob("*.xlsx"))[:n]
        check_many(files[:5])
        t = time.perf_counter()
        check_many(files)
        print(f"{(time.perf_counter() - t) / len(files) * 1000:.1f}")


if __name__ == "__main__":
    main()
