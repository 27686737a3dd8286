"""Shared fixtures. Tests that need LibreOffice skip without it, except in CI (CI=true), where
a missing LibreOffice is a failure: `.ci/run` installs it.

LibreOffice is slow to start (seconds) and quick to convert one more file, so the session converts every
workbook its LibreOffice tests need in ONE soffice run. A workbook is registered by name with
``@libreoffice_input("name")`` on a function that writes it into a given folder; a test declares the
names it uses in its marker, ``@pytest.mark.libreoffice("careful", "published")``, and gets the
recalculated copy with the session fixture ``lo("careful")``. Once the tests are collected, the first
test builds the selected tests' inputs and starts the conversion in the background; the first ``lo(...)``
waits for it. The terminal summary says how many soffice runs the session made.

The three sample workbooks (careful, published, fund) are filled once a session: ``sample_xlsx(name)``
hands out fresh copies. ``run_cli`` (tests/clirun.py) runs the CLI as a process.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Callable

import tempfile

import pytest

# the compiled-model cache of this session (juesuan.util.cache), inherited by the CLI processes it runs:
# never the user's own, and cold at the start of every session
os.environ.setdefault("JUESUAN_CACHE_DIR", tempfile.mkdtemp(prefix="juesuan-cache-"))

from juesuan.api import fill_workbook  # noqa: E402
from juesuan.demo import sample_path  # noqa: E402
from juesuan.recalc import recalculate_many, soffice  # noqa: E402
from juesuan.util.atomic import save_workbook  # noqa: E402

from .clirun import run_cli  # noqa: F401  (the tests import it from here)

ROOT = Path(__file__).resolve().parents[1]
FUND = ROOT / "tests" / "data" / "fund-department.yaml"


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


# --- one LibreOffice run for the session ------------------------------------------------------------

_INPUTS: dict[str, Callable[[Path], Path]] = {}
_LAUNCHES = {"runs": 0, "files": 0}


def libreoffice_input(name: str):
    """Register ``build(folder) -> path``: a workbook the session recalculates with LibreOffice."""
    def register(build):
        if name in _INPUTS:
            raise ValueError(f"LibreOffice input {name!r} registered twice")
        _INPUTS[name] = build
        return build
    return register


def count_soffice_runs(files: int) -> None:
    """Count one soffice run (converting ``files`` workbooks) for the terminal summary."""
    _LAUNCHES["runs"] += 1
    _LAUNCHES["files"] += files


def _declared(items) -> list[str]:
    names: list[str] = []
    for item in items:
        for mark in item.iter_markers("libreoffice"):
            names += [n for n in mark.args if n not in names]
    return names


_NAMES = pytest.StashKey[list]()


def pytest_collection_finish(session):
    session.config.stash[_NAMES] = _declared(session.items)


def pytest_terminal_summary(terminalreporter):
    if _LAUNCHES["runs"]:
        terminalreporter.write_line(f"LibreOffice: {_LAUNCHES['runs']} soffice run(s) for {_LAUNCHES['files']} "
                                    "workbook(s)")


class _Batch:
    """The selected tests' LibreOffice inputs, built in the main thread, converted in one background run."""

    def __init__(self, names: list[str], folder: Path):
        self.names, self.folder = names, folder
        self.error: BaseException | None = None
        self.results: dict[str, Path] = {}
        self.thread = threading.Thread(target=self._convert, daemon=True)
        try:
            unknown = [n for n in names if n not in _INPUTS]
            if unknown:
                raise ValueError(f"pytest.mark.libreoffice names {unknown}, which no @libreoffice_input registers")
            self.sources = [_INPUTS[n](self._mkdir(folder / "in" / str(i))) for i, n in enumerate(names)]
        except Exception as exc:  # reported to the tests that need LibreOffice, not to the first test
            self.error = exc
            return
        self.thread.start()

    @staticmethod
    def _mkdir(path: Path) -> Path:
        path.mkdir(parents=True)
        return path

    def _convert(self) -> None:
        try:
            count_soffice_runs(len(self.sources))
            outs = recalculate_many(self.sources, self.folder / "out")
            self.results = dict(zip(self.names, outs))
        except BaseException as exc:  # reported to every test that asks for a result
            self.error = exc

    def join(self) -> None:
        if self.thread.is_alive():
            self.thread.join()

    def get(self, name: str) -> Path:
        self.join()
        if self.error is not None:
            raise self.error
        if name not in self.results:
            pytest.fail(f"LibreOffice input {name!r} is not declared: add it to the test's "
                        f"@pytest.mark.libreoffice(...) marker")
        return self.results[name]


# --- the sample workbooks, filled once a session -------------------------------------------------------

SAMPLES = {"careful": sample_path("careful"), "published": sample_path("published"),
           "fund": FUND}  # fund: a department with all three kinds of 财政拨款 (07 and 08 filled)
_SAMPLE_FILES: dict[str, Path] = {}
_SAMPLE_DIR: list[Path] = []


def sample_copy(name: str, folder: Path) -> Path:
    """A copy, in ``folder``, of the sample ``name`` as juesuan fills and writes it (``name``.xlsx)."""
    if name not in _SAMPLE_FILES:
        _, wb = fill_workbook(SAMPLES[name])
        _SAMPLE_FILES[name] = save_workbook(wb, _SAMPLE_DIR[0] / f"{name}.xlsx")
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(_SAMPLE_FILES[name], folder / f"{name}.xlsx"))


@pytest.fixture(scope="session")
def sample_xlsx(tmp_path_factory):
    """sample_xlsx("careful" | "published" | "fund") → a fresh copy of that sample workbook."""
    return lambda name: sample_copy(name, tmp_path_factory.mktemp(name))


@pytest.fixture(scope="session", autouse=True)
def _sample_folder(tmp_path_factory):
    _SAMPLE_DIR[:] = [tmp_path_factory.mktemp("samples")]


@pytest.fixture(scope="session", autouse=True)
def _libreoffice_batch(request, tmp_path_factory, _sample_folder):
    """Starts the session's one LibreOffice run before the first test (when any selected test needs it)."""
    names = request.config.stash.get(_NAMES, [])
    if not names or soffice() is None:
        yield None
        return
    batch = _Batch(names, tmp_path_factory.mktemp("libreoffice"))
    yield batch
    batch.join()


@pytest.fixture(scope="session")
def lo(libreoffice, _libreoffice_batch, tmp_path_factory):
    """lo(name) → a fresh copy of the LibreOffice-recalculated workbook registered as ``name``."""
    def get(name: str) -> Path:
        if _libreoffice_batch is None:
            pytest.fail(f"LibreOffice input {name!r} is not declared: add it to the test's "
                        f"@pytest.mark.libreoffice(...) marker")
        src = _libreoffice_batch.get(name)
        folder = tmp_path_factory.mktemp("lo-" + name)
        return Path(shutil.copy(src, folder / src.name))

    return get


@libreoffice_input("careful")
def _careful_input(folder: Path) -> Path:
    return sample_copy("careful", folder)


@libreoffice_input("published")
def _published_input(folder: Path) -> Path:
    return sample_copy("published", folder)


@libreoffice_input("fund")
def _fund_input(folder: Path) -> Path:
    return sample_copy("fund", folder)


@pytest.fixture(scope="session")
def folder_results(tmp_path_factory, _sample_folder):
    """The results of a folder of real workbooks as the workers hand them over (tests/reports.py)."""
    from .reports import checked_folder

    return checked_folder(tmp_path_factory.mktemp("folder-results"))


# --- samples and the CLI ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def published_path() -> Path:
    return sample_path("published")


@pytest.fixture(scope="session")
def careful_path() -> Path:
    return sample_path("careful")


def readme_example() -> str:
    """The complete data-file example of the README (a department with no finding at all)."""
    import re

    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## 数据文件格式", 1)[1]
    return re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
