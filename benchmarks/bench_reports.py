"""The main process's cost of writing a folder's consolidated reports (``batch.write_reports``), old vs new.

    python benchmarks/bench_reports.py prepare DIR              # two folders, their results pickled in DIR
    python benchmarks/bench_reports.py time DIR/heavy.pkl       # CPU ms a file of write_reports (this tree)
    python benchmarks/bench_reports.py ab DIR/heavy.pkl --old OLD_SRC [--rounds 5]

``prepare`` builds (a) 100 error-heavy workbooks (``bench_speed.corpus(folder, 100, 80)``) and (b) a
reviewer folder of 200 (``bench_speed.reviewer_folder``), checks them with ``batch._check_chunk`` as the
workers do and pickles the results. ``time`` runs ``write_reports`` over the pickled results several times
and prints the fastest run's process CPU time (user + system) per file. ``ab`` runs ``time`` in fresh
processes, alternating the tree at ``--old`` (a ``src`` folder, e.g. ``git archive``'d) and this one,
and prints each side's fastest run and their ratio.
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"


def prepare(out: Path) -> None:
    sys.path.insert(0, str(HERE))
    import bench_speed

    from juesuan import batch

    out.mkdir(parents=True, exist_ok=True)
    for name, make in (("heavy", lambda f: bench_speed.corpus(f, 100, 80)),
                       ("reviewer", lambda f: bench_speed.reviewer_folder(f, 200))):
        folder = out / name
        files = [str(p) for p in make(folder)]
        results = [r for i in range(0, len(files), 25) for r in batch._check_chunk(files[i:i + 25])]
        for r in results:
            r["path"] = batch.relative_name(Path(r["file"]), folder)
        (out / f"{name}.pkl").write_bytes(pickle.dumps(results))
        print(f"{name}: {len(results)} files, {sum(len(r['findings']) for r in results)} findings")


def time_it(pkl: Path, runs: int) -> None:
    from juesuan.batch import write_reports

    results = pickle.loads(pkl.read_bytes())
    best = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs + 1):  # the first run warms up (imports, caches)
            t0 = time.process_time()
            write_reports(iter(results), Path(tmp), Path(tmp) / "out", force=True)
            t = time.process_time() - t0
            if i:
                best = min(best, t)
    print(f"{best / len(results) * 1000:.3f}")


def ab(pkl: Path, old: Path, rounds: int, runs: int) -> None:
    def one(src: Path) -> float:
        env = dict(os.environ, PYTHONPATH=str(src))
        out = subprocess.run([sys.executable, __file__, "time", str(pkl), "--runs", str(runs)], env=env,
                             capture_output=True, text=True, check=True)
        return float(out.stdout.split()[-1])

    olds, news = [], []
    for _ in range(rounds):
        olds.append(one(old))
        news.append(one(SRC))
    print(f"{pkl.stem}: old {min(olds):.3f} ms a file, new {min(news):.3f} ms a file, "
          f"{min(olds) / min(news):.1f}x (fastest of {rounds}x{runs} runs each; "
          f"old {', '.join(f'{x:.2f}' for x in olds)}; new {', '.join(f'{x:.2f}' for x in news)})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["prepare", "time", "ab"])
    ap.add_argument("path", type=Path)
    ap.add_argument("--old", type=Path, help="ab: the src folder of the tree to compare with")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if args.case == "prepare":
        prepare(args.path)
    elif args.case == "time":
        time_it(args.path, args.runs)
    else:
        ab(args.path, args.old, args.rounds, args.runs)


if __name__ == "__main__":
    main()
