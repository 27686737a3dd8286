"""Recalculate a workbook with headless LibreOffice, the real spreadsheet engine.

Files written by openpyxl carry formulas without cached results. LibreOffice opens such a file with
a throw-away user profile that forces a full recalculation on load, and saves a copy whose cells
carry the computed values. Used by the tests and by ``juesuan recalc``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from juesuan.errors import JuesuanError

_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    """The path of LibreOffice's ``soffice``, or None."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for path in ("/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice",
                 "/Applications/LibreOffice.app/Contents/MacOS/soffice"):
        if os.path.exists(path):
            return path
    return None


def recalculate(src: str | Path, out_dir: str | Path, timeout: float = 180) -> Path:
    """Open ``src`` in headless LibreOffice, recalculate everything, save it as xlsx in ``out_dir``.

    Returns the path of the recalculated copy (same file name). ``src`` is not modified.
    """
    exe = soffice()
    if exe is None:
        raise JuesuanError("未找到 LibreOffice（soffice）。Debian/Ubuntu 上可用 apt-get install libreoffice-calc-nogui 安装。")
    src = Path(src).resolve()
    out_dir = Path(out_dir).resolve()
    if out_dir == src.parent:
        raise JuesuanError(f"输出文件夹不能是「{src.name}」所在的文件夹：那会覆盖原文件。")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="juesuan-lo-") as profile:
        user = Path(profile, "user")
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_REGISTRY, encoding="utf-8")
        cmd = [exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--nologo",
               "--norestore", "--calc", "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir",
               str(out_dir), str(src)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=dict(os.environ, HOME=profile))
    out = out_dir / (src.stem + ".xlsx")
    if proc.returncode != 0 or not out.exists():
        raise JuesuanError(f"LibreOffice 重算失败（退出码 {proc.returncode}）：{proc.stderr.strip() or proc.stdout.strip()}")
    return out
