"""A disk cache of what juesuan compiles from its own data files (the model's YAML, the bundled catalog).

Parsing the model and the catalog costs more than reading a workbook does; a cold ``juesuan check`` would
pay it on every run. The compiled objects are kept pickled, each under the SHA-256 of the bytes it was
built from (and of the code that built it, and of Python's version): a changed file is never answered from what the
old one held, and a stale entry is simply not found. Only juesuan's packaged files are cached this way,
never a user's workbook.

The cache lives in ``$JUESUAN_CACHE_DIR`` (``off`` turns it off), else in the platform's place
(``%LOCALAPPDATA%\\juesuan\\cache`` on Windows, ``~/Library/Caches/juesuan`` on macOS,
``$XDG_CACHE_HOME/juesuan`` or ``~/.cache/juesuan`` elsewhere). Any problem with it — no permission, a
full disk, a damaged or foreign entry — means the object is built as if there were no cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
_FORMAT = b"juesuan-cache-1"


def cache_dir() -> Path | None:
    """Where compiled objects are kept, or None when the cache is turned off."""
    env = os.environ.get("JUESUAN_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none") else Path(env)
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "juesuan" / "cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "juesuan"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "juesuan"


@lru_cache(maxsize=1)
def _code_digest() -> bytes:
    """The source of the modules whose classes are pickled (the model, the catalog, the utilities): an
    entry written by other code — an older juesuan, or a change in development — is never read."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for folder in ("model", "catalog", "util"):
        for path in sorted((root / folder).glob("*.py")):
            h.update(path.name.encode() + path.read_bytes())
    return h.digest()


def content_key(parts: Iterable[bytes | str]) -> str:
    """The SHA-256 of ``parts``, of the code that compiles them and of Python's version."""
    h = hashlib.sha256(_FORMAT)
    for part in (_code_digest(), sys.version, *parts):
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def cached(kind: str, parts: Iterable[bytes | str], build: Callable[[], T]) -> T:
    """``build()``'s result, from the cache when an entry of ``kind`` was built from the same ``parts``."""
    folder = cache_dir()
    key = content_key(parts)
    if folder is None:
        return build()
    path = folder / f"{kind}-{key[:40]}.pickle"
    hit = _load(path, key)
    if hit is not None:
        return hit[0]
    value = build()
    _store(folder, path, kind, key, value)
    return value


def _load(path: Path, key: str) -> tuple | None:
    try:
        if os.name == "posix" and path.stat().st_uid != os.getuid():
            return None  # only entries this user wrote are ever unpickled
        with open(path, "rb") as fh:
            if fh.read(len(_FORMAT)) != _FORMAT:
                return None
            stored_key, value = pickle.load(fh)  # noqa: S301 - the user's own cache, keyed by content
    except Exception:  # missing, unreadable, damaged, of another version: built afresh
        return None
    return (value,) if stored_key == key else None


def _store(folder: Path, path: Path, kind: str, key: str, value) -> None:
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        data = _FORMAT + pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL)
        fd, tmp = tempfile.mkstemp(prefix=f".{kind}-", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        for old in folder.glob(f"{kind}-*.pickle"):  # the entries of files that have since changed
            if old != path:
                old.unlink(missing_ok=True)
    except Exception:  # a cache that cannot be written only costs time
        if tmp is not None:
            with contextlib.suppress(OSError):
                Path(tmp).unlink(missing_ok=True)
