"""The tests' CLI runner (tests/clirun.py): a run forked from the warm interpreter gives exactly what a new
``python -m juesuan`` process gives — exit code, stdout, stderr, files."""

from __future__ import annotations

import os

import pytest

from .clirun import run_cli
from .conftest import sample_copy


@pytest.mark.skipif(not hasattr(os, "fork"), reason="without fork every run is a new interpreter")
@pytest.mark.parametrize("args", [
    ["template", "-o", "{dir}/x.xlsx", "--dept", "某局", "--codes", "2019998"],   # a Chinese error, exit 2
    ["check", "{published}", "--format", "json"],                                # a report on stdout, exit 1
    ["nosuchcommand"],                                                           # argparse's error, in Chinese
])
def test_forked_run_is_a_new_process_run(tmp_path, args):
    results = []
    for fresh in (True, False):
        folder = tmp_path / ("fresh" if fresh else "forked")
        folder.mkdir()
        if args[0] == "check":
            sample_copy("published", folder)
        argv = [a.format(dir=folder, published=folder / "published.xlsx") for a in args]
        res = run_cli(*argv, cwd=folder, fresh=fresh)
        results.append((res.returncode, res.stdout.replace(str(folder), "…"), res.stderr.replace(str(folder), "…"),
                        sorted(p.name for p in folder.iterdir())))
    assert results[0] == results[1]
    assert results[0][0] in (1, 2)
