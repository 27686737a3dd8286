"""Shared fixtures. Tests that need LibreOffice skip without it, except in CI (CI=true), where
a missing LibreOffice is a failure: `.ci/run` installs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from juesuan.demo import sample_path
from juesuan.recalc import recalculate, soffice

ROOT = Path(__file__).resolve().parents[1]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def libreoffice():
    """Skip without LibreOffice locally; fail in CI."""
    if soffice() is None:
        if _in_ci():
            pytest.fail("LibreOffice (soffice) is required in CI: .ci/run installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice not installed")
    return soffice()


@pytest.fixture(scope="session")
def recalc(libreoffice, tmp_path_factory):
    """recalc(path) → path of a LibreOffice-recalculated copy."""
    out = tmp_path_factory.mktemp("recalc")
    counter = iter(range(10**6))

    def run(path: Path) -> Path:
        return recalculate(path, out / str(next(counter)))

    return run


@pytest.fixture(scope="session")
def published_path() -> Path:
    return sample_path("published")


@pytest.fixture(scope="session")
def careful_path() -> Path:
    return sample_path("careful")


def run_cli(*args, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    """Run the installed CLI as a process (``python -m juesuan``)."""
    return subprocess.run([sys.executable, "-m", "juesuan", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout, env=dict(os.environ, PYTHONIOENCODING="utf-8"))


def readme_example() -> str:
    """The complete data-file example of the README (a department with no finding at all)."""
    import re

    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## 数据文件格式", 1)[1]
    return re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
