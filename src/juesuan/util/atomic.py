"""Writing a file so that a reader never sees half of it: a temporary file beside it, then a rename.

One implementation for every output juesuan writes (workbooks, reports, catalogs). An existing file
is replaced only with ``force``, and then kept as ``<name>.bak``.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Union

from juesuan.errors import OutputError


def atomic_write(path: Union[str, Path], write: Callable, force: bool = False, backup: bool = True,
                 binary: bool = True) -> Path:
    """Call ``write(fh)`` on a temporary file beside ``path``, then move it into place.

    An existing ``path`` is replaced only with ``force``, and then kept (when ``backup``) as
    ``<name>.bak`` — or ``.bak.2``, ``.bak.3`` … when that exists: a backup is never overwritten, so
    the user's original survives any number of runs. Writers of one folder are serialised (a lock on
    the folder), so two runs at once cannot lose it either. Every OS error becomes an
    :class:`OutputError` naming the file; no temporary file is left behind.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"无法写入「{path}」：文件夹「{folder}」不存在。")
    with _folder_lock(folder):
        refuse_existing(path, force)
        try:
            fd, tmp = tempfile.mkstemp(prefix=".juesuan-", suffix=path.suffix, dir=folder)
        except OSError as exc:
            raise OutputError(f"无法写入「{path}」：{exc.strerror or exc}（请检查文件夹权限）。") from None
        try:
            with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as fh:
                write(fh)
            os.chmod(tmp, 0o666 & ~_umask())  # as any file the user makes: colleagues can open it
            if path.exists() and backup:
                _keep(path, backup_name(path))
            os.replace(tmp, path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise OutputError(f"无法写入「{path}」：{exc.strerror or exc}（文件是否正在 Excel/WPS 中打开？磁盘是否已满？）。") from None
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path


def refuse_existing(path: Union[str, Path], force: bool) -> None:
    """The --force rule, the same for every output: an existing file is replaced only with ``force``."""
    path = Path(path)
    if path.exists() and not force:
        raise OutputError(f"文件「{path}」已存在，未覆盖。换一个文件名，或加 --force 覆盖（原文件保留为 .bak 备份）。")


def backup_name(path: Path) -> Path:
    """``x.xlsx.bak``, or the first free ``x.xlsx.bak.N`` (N ≥ 2)."""
    candidate = path.with_name(path.name + ".bak")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak.{n}")
        n += 1
    return candidate


def _keep(path: Path, backup: Path) -> None:
    """Make ``backup`` a copy of ``path`` while ``path`` stays in place (a hard link where possible)."""
    try:
        os.link(path, backup)
    except OSError:
        import shutil

        shutil.copy2(path, backup)


@contextmanager
def _folder_lock(folder: Path):
    """Serialise juesuan's writers in one folder (POSIX ``flock`` on the folder; elsewhere nothing)."""
    try:
        import fcntl
    except ImportError:  # Windows: a file open in Excel is locked by Excel itself
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(path: Union[str, Path], text: str, force: bool = True, backup: bool = False) -> Path:
    """Write UTF-8 text atomically (reports, catalogs)."""
    return atomic_write(path, lambda fh: fh.write(text), force=force, backup=backup, binary=False)


def save_workbook(wb, path: Union[str, Path], force: bool = False, backup: bool = True) -> Path:
    """Write an openpyxl workbook (or any object whose ``save(fh)`` writes one) atomically to ``path``
    (which must end in .xlsx).

    An existing file is replaced only with ``force``, and then kept as ``<name>.bak``.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise OutputError(f"输出文件「{path}」须以 .xlsx 结尾。")
    return atomic_write(path, wb.save, force=force, backup=backup)


def save_package(data: bytes, path: Union[str, Path], force: bool = False, backup: bool = True) -> Path:
    """Write a workbook package (the bytes of an .xlsx) atomically, as :func:`save_workbook` does."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise OutputError(f"输出文件「{path}」须以 .xlsx 结尾。")
    return atomic_write(path, lambda fh: fh.write(data), force=force, backup=backup)
