"""The check path's figures (issue “Fast on every path”), each beside a floor measured in the same run.

    python benchmarks/bench_speed.py cold  [--runs 9]           # `juesuan check FILE` vs importing pandas+pandera
    python benchmarks/bench_speed.py warm  [--repeat 30]        # check() in process vs calamine reading the 9 tables
    python benchmarks/bench_speed.py folder [--files 1000] [--parallel-only] [--reviewer|--distinct]  # `juesuan check DIR`
    python benchmarks/bench_speed.py heavy [--files 100]        # a folder of workbooks with ~80 errors each
    python benchmarks/bench_speed.py all

Run it in an environment made as a user makes one (``pip install .``, no test extras: with hypothesis
installed, pandera imports it on the first validation) and with byte-code enabled (the script removes
PYTHONDONTWRITEBYTECODE for the processes it starts and compiles the package first). Processes are
timed by their own CPU accounting (user + system) and paired: A B A B …, the ratio taken pair by pair,
its median printed. Memory is the main process's peak RSS (VmHWM), read from /proc while it runs.
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import juesuan

PY = sys.executable
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


# --------------------------------------------------------------------------------------------------
# Workbooks


def samples(folder: Path) -> list[Path]:
    """The two bundled samples and the fund department, filled and saved."""
    from juesuan.api import fill_workbook
    from juesuan.demo import sample_path
    from juesuan.util.atomic import save_workbook

    fund = Path(__file__).resolve().parents[1] / "tests" / "data" / "fund-department.yaml"
    out = []
    for name, src in (("published", sample_path("published")), ("careful", sample_path("careful")), ("fund", fund)):
        if src.exists():
            _, wb = fill_workbook(src)
            out.append(save_workbook(wb, folder / f"{name}.xlsx", force=True))
    return out


def mutated(base: Path, out: Path, changes: int, seed: int) -> Path:
    """``base`` with ``changes`` typed-in amounts of its tables replaced by random ones."""
    import openpyxl

    rng = random.Random(seed)
    wb = openpyxl.load_workbook(base)
    cells = [c for ws in wb.worksheets if ws.title.startswith("公开") for row in ws.iter_rows(min_row=5)
             for c in row if isinstance(c.value, (int, float)) and not isinstance(c.value, bool)]
    for c in rng.sample(cells, min(changes, len(cells))):
        c.value = rng.randrange(0, 500000) / 100
    wb.save(out)
    return out


def corpus(folder: Path, n: int, changes: int, variants: int = 12) -> list[Path]:
    """``n`` workbooks: the samples and ``variants`` mutated copies (``changes`` cells each), copied round."""
    folder.mkdir(parents=True, exist_ok=True)
    work = folder.parent / (folder.name + "-bases")
    work.mkdir(exist_ok=True)
    bases = samples(work)
    kinds = list(bases) if changes == 0 else []
    for i in range(variants):
        kinds.append(mutated(bases[i % len(bases)], work / f"v{i}.xlsx", changes or 3, 1000 + i))
    files = []
    for i in range(n):
        files.append(Path(shutil.copy(kinds[i % len(kinds)], folder / f"部门{i:05d}.xlsx")))
    shutil.rmtree(work)
    return files


# --------------------------------------------------------------------------------------------------
# Measuring processes


def run_process(cmd: list[str], poll_memory: bool = False) -> tuple[float, float, float, int]:
    """(cpu s, wall s, the process's own peak RSS in MiB, exit code) of one run of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0.0
    while proc.poll() is None:
        if poll_memory:
            peak = max(peak, _hwm(proc.pid))
        time.sleep(0.02 if poll_memory else 0.005)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, peak, proc.returncode


def _hwm(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def paired(a: list[str], b: list[str], runs: int) -> dict:
    """A and B in turn, ``runs`` times each after one warm-up of each; medians and the paired ratio."""
    run_process(a), run_process(b)
    ca, cb, ratios = [], [], []
    for _ in range(runs):
        x, y = run_process(a)[0], run_process(b)[0]
        ca.append(x), cb.append(y), ratios.append(x / y)
    return {"a": statistics.median(ca), "b": statistics.median(cb), "ratio": statistics.median(ratios),
            "spread": (min(ratios), max(ratios))}


# --------------------------------------------------------------------------------------------------
# The cases


def cold(args, tmp: Path) -> None:
    compileall.compile_dir(str(Path(juesuan.__file__).parent), quiet=1)
    files = samples(tmp)
    print(f"\ncold `juesuan check FILE` (cpu s, median of {args.runs} pairs), floor: python -c 'import pandas, pandera.pandas'")
    floor = [PY, "-c", "import pandas, pandera.pandas"]
    for f in files[:2]:
        r = paired([PY, "-m", "juesuan", "check", str(f)], floor, args.runs)
        print(f"  {f.name:16} check {r['a']:.3f} s   floor {r['b']:.3f} s   ratio {r['ratio']:.2f}× "
              f"(pairs {r['spread'][0]:.2f}–{r['spread'][1]:.2f})")


def warm(args, tmp: Path) -> None:
    from python_calamine import CalamineWorkbook

    from juesuan.check import check
    from juesuan.validate.frames import preload

    preload()

    def calamine(path: Path) -> int:
        wb = CalamineWorkbook.from_path(str(path))
        return sum(len(wb.get_sheet_by_name(n).to_python()) for n in wb.sheet_names if n.startswith("公开"))

    # CPU time of this process (the machine may be shared: wall time counts the others' work too)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    print(f"\nwarm check in process ({args.clock} ms, median and fastest of {args.repeat} pairs), "
          "floor: python-calamine reading the nine table sheets")
    for f in samples(tmp):
        check(f), calamine(f)
        ta, tb, ratios = [], [], []
        for _ in range(args.repeat):
            t0 = clock()
            check(f)
            t1 = clock()
            calamine(f)
            t2 = clock()
            ta.append(t1 - t0), tb.append(t2 - t1), ratios.append((t1 - t0) / max(t2 - t1, 1e-9))
        print(f"  {f.name:16} check {statistics.median(ta) * 1000:6.1f} ms   floor {statistics.median(tb) * 1000:5.2f} ms"
              f"   ratio {statistics.median(ratios):5.1f}×   fastest {min(ta) * 1000:5.1f} / {min(tb) * 1000:4.2f} ms"
              f" = {min(ta) / min(tb):4.1f}×")


def _folder_run(folder: Path, out: Path, workers: int) -> tuple[float, float, float, int]:
    shutil.rmtree(out, ignore_errors=True)
    return run_process([PY, "-m", "juesuan", "check", str(folder), "-o", str(out), "--workers", str(workers)],
                       poll_memory=True)


def reviewer_folder(folder: Path, n: int) -> list[Path]:
    """The folder the issue measured: the two samples, half of the copies with one amount of 公开03表
    changed (a reviewer's folder: most files fine, some with an error)."""
    import openpyxl

    folder.mkdir(parents=True, exist_ok=True)
    work = folder.parent / (folder.name + "-bases")
    work.mkdir(exist_ok=True)
    bases = [p for p in samples(work) if p.stem in ("careful", "published")]
    rng, files = random.Random(20241), []
    changed = []
    for i in range(24):  # 24 distinct one-cell changes, copied round
        wb = openpyxl.load_workbook(bases[i % 2])
        wb["公开03表"][f"D{rng.randrange(8, 30)}"].value = rng.randrange(0, 50000) / 100
        wb.save(work / f"c{i}.xlsx")
        changed.append(work / f"c{i}.xlsx")
    for i in range(n):
        src = bases[i % 2] if i % 4 < 2 else changed[i % len(changed)]
        files.append(Path(shutil.copy(src, folder / f"部门{i:05d}.xlsx")))
    shutil.rmtree(work)
    return files


def distinct_folder(folder: Path, n: int) -> list[Path]:
    """A province's folder as it comes: every department with codes of its own. Each workbook is one of
    the samples with two of its 项 codes renamed in every sheet (the same 款, another 项): no two files
    have the same codes, so nothing worked out for one file's layout serves another's."""
    import re
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    work = folder.parent / (folder.name + "-bases")
    work.mkdir(exist_ok=True)
    bases = samples(work)
    rng, seen, files = random.Random(20242), set(), []
    for i in range(n):
        base = bases[i % len(bases)]
        with zipfile.ZipFile(base) as z:
            members = [(info, z.read(info.filename)) for info in z.infolist()]
        codes = sorted({c for _, data in members for c in re.findall(rb"<t>(\d{7})</t>", data)})
        while True:
            new = {c: c[:5] + b"%02d" % rng.randrange(1, 100) for c in rng.sample(codes, 2)}
            key = (base.name, tuple(sorted(new.items())))
            if key not in seen and not set(new.values()) & set(codes) and len(set(new.values())) == 2:
                seen.add(key)
                break
        out = folder / f"部门{i:05d}.xlsx"
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for info, data in members:
                for old, code in new.items():
                    data = data.replace(b"<t>" + old + b"</t>", b"<t>" + code + b"</t>")
                z.writestr(info, data)
        files.append(out)
    shutil.rmtree(work)
    return files


def folder(args, tmp: Path) -> None:
    if args.distinct:
        files = distinct_folder(tmp / "folder", args.files)
    elif args.reviewer:
        files = reviewer_folder(tmp / "folder", args.files)
    else:
        files = corpus(tmp / "folder", args.files, 0)
    print(f"\n`juesuan check DIR`, {len(files)} workbooks ({os.cpu_count()} cores)")
    two = _folder_run(tmp / "folder", tmp / "out", 2)
    print(f"  2 workers  wall {two[1]:6.2f} s   main process peak {two[2]:6.1f} MiB   exit {two[3]}   "
          f"{two[1] / len(files) * 1000:.1f} ms a file")
    if not args.parallel_only:
        one = _folder_run(tmp / "folder", tmp / "out", 1)
        print(f"  1 worker   wall {one[1]:6.2f} s   main process peak {one[2]:6.1f} MiB   exit {one[3]}   "
              f"2 workers {one[1] / two[1]:.2f}× faster")


def heavy(args, tmp: Path) -> None:
    files = corpus(tmp / "heavy", args.files, 80)
    from juesuan.check import check

    errors = statistics.median(check(f).counts["error"] for f in files[:12])
    print(f"\n`juesuan check DIR`, {len(files)} workbooks with 80 amounts changed each (median {errors:.0f} errors a file)")
    two = _folder_run(tmp / "heavy", tmp / "out-heavy", 2)
    print(f"  2 workers  wall {two[1]:6.2f} s   main process peak {two[2]:6.1f} MiB   exit {two[3]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["cold", "warm", "folder", "heavy", "all"])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--clock", choices=["cpu", "wall"], default="cpu", help="warm: process CPU time or wall time")
    ap.add_argument("--files", type=int, default=0)
    ap.add_argument("--parallel-only", action="store_true", help="folder: skip the 1-worker run")
    ap.add_argument("--reviewer", action="store_true",
                    help="folder: the issue's folder (two samples, half with one amount changed) instead of the "
                         "three samples and twelve variants with three amounts changed each")
    ap.add_argument("--distinct", action="store_true",
                    help="folder: every workbook with codes of its own (a province's departments), made from the "
                         "samples by renaming two 项 codes in each")
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, juesuan {juesuan.__version__}, "
          f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for case in (["cold", "warm", "folder", "heavy"] if args.case == "all" else [args.case]):
            if case in ("folder", "heavy") and not args.files:
                args.files = 1000 if case == "folder" else 100
            globals()[case](args, tmp)
            if args.case == "all":
                args.files = 0
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
