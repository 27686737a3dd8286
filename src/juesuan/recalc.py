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


def _convert(exe: str, sources: list[Path], out_dir: Path, timeout: float,
             to: str = "xlsx:Calc MS Excel 2007 XML") -> subprocess.CompletedProcess:
    """One headless LibreOffice run converting ``sources`` to xlsx in ``out_dir``, with a throw-away profile
    that forces a full recalculation on load. LibreOffice runs in a process group of its own, and the
    whole group is killed when it overruns ``timeout`` (a hostile file must not leave it running)."""
    with tempfile.TemporaryDirectory(prefix="juesuan-lo-") as profile:
        user = Path(profile, "user")
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_REGISTRY, encoding="utf-8")
        cmd = [exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--nologo",
               "--norestore", "--calc", "--convert-to", to, "--outdir",
               str(out_dir), *map(str, sources)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, HOME=profile), start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise JuesuanError(f"LibreOffice 重算超过 {timeout:.0f} 秒仍未完成，已终止（文件可能过大或经过特殊构造）。") from None
        return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _kill_group(proc: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, AttributeError):  # no process groups (Windows): the process itself
        proc.kill()
    proc.communicate()


def _exe() -> str:
    exe = soffice()
    if exe is None:
        raise JuesuanError("未找到 LibreOffice（soffice）。Debian/Ubuntu 上可用 apt-get install libreoffice-calc-nogui 安装。")
    return exe


def recalculate(src: str | Path, out_dir: str | Path, timeout: float = 180, force: bool = False) -> Path:
    """Open ``src`` in headless LibreOffice, recalculate everything, save it as xlsx in ``out_dir``.

    ``src`` is first read as ``juesuan check`` reads it (a CSV, random bytes, an encrypted or a hostile
    file is refused before LibreOffice sees it) and is never modified. An existing copy in ``out_dir`` is
    replaced only with ``force`` (and then kept as .bak). Returns the path of the recalculated copy.
    """
    from juesuan.read.xlsx import read_workbook
    from juesuan.util.atomic import atomic_write

    exe = _exe()
    src = Path(src).resolve()
    out_dir = Path(out_dir).resolve()
    if out_dir == src.parent:
        raise JuesuanError(f"输出文件夹不能是「{src.name}」所在的文件夹：那会覆盖原文件。")
    read_workbook(src)  # refuses what is not a usable workbook, with the reader's message
    out = out_dir / (src.stem + ".xlsx")
    if out.exists() and not force:
        raise JuesuanError(f"文件「{out}」已存在，未覆盖。换一个输出文件夹，或加 --force 覆盖（原文件保留为 .bak 备份）。")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="juesuan-lo-out-", dir=out_dir) as stage:
        proc = _convert(exe, [src], Path(stage), timeout)
        made = Path(stage) / (src.stem + ".xlsx")
        if proc.returncode != 0 or not made.exists():
            raise JuesuanError(f"LibreOffice 重算失败（退出码 {proc.returncode}）：{proc.stderr.strip() or proc.stdout.strip()}")
        read_workbook(made)  # what LibreOffice wrote is a workbook, or this is no 已重算
        data = keep_black_and_white(src, made.read_bytes())
    return atomic_write(out, lambda fh: fh.write(data), force=True)


def _sheet_parts(zf) -> dict[str, str]:
    """Sheet name → its part in an xlsx package."""
    import re

    book = zf.read("xl/workbook.xml").decode("utf-8")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {}
    for m in re.finditer(r"<Relationship\b[^>]*>", rels):
        rid, target = re.search(r'\bId="([^"]*)"', m.group(0)), re.search(r'\bTarget="([^"]*)"', m.group(0))
        if rid and target:
            t = target.group(1)
            targets[rid.group(1)] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    out = {}
    for m in re.finditer(r"<sheet\b[^>]*>", book):
        name, rid = re.search(r'\bname="([^"]*)"', m.group(0)), re.search(r'\br:id="([^"]*)"', m.group(0))
        if name and rid and rid.group(1) in targets:
            out[name.group(1)] = targets[rid.group(1)]
    return out


def keep_black_and_white(src: Path, data: bytes) -> bytes:
    """LibreOffice saves every sheet with ``blackAndWhite="false"``: put back the flag of the sheets
    that had it (the tables: their input tint must not print in Excel and WPS)."""
    import io
    import re
    import zipfile

    with zipfile.ZipFile(src) as zs:
        parts = _sheet_parts(zs)
        bw = {n for n, p in parts.items() if p in zs.namelist()
              and re.search(rb'<pageSetup\b[^>]*blackAndWhite="(1|true)"', zs.read(p))}
    if not bw:
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        wanted = {p for n, p in _sheet_parts(zin).items() if n in bw}
        for item in zin.infolist():
            body = zin.read(item.filename)
            if item.filename in wanted:
                body = body.replace(b'blackAndWhite="false"', b'blackAndWhite="true"')
            zout.writestr(item, body)
    return out.getvalue()


def recalculate_many(paths, out_dir: str | Path, timeout: float | None = None) -> list[Path]:
    """Recalculate many workbooks in ONE LibreOffice run (starting LibreOffice costs seconds; converting
    one more file costs a fraction of that).

    Returns the paths of the recalculated copies, in the order of ``paths``. A copy keeps its source's
    name (as xlsx) in ``out_dir``; when several sources give the same name, the second and later ones go to
    numbered subfolders ``out_dir/2``, ``out_dir/3`` …. The sources are not modified. ``timeout`` is for the
    whole run: by default 120 s plus 30 s a file.
    """
    exe = _exe()
    sources = [Path(p).resolve() for p in paths]
    if not sources:
        return []
    out_dir = Path(out_dir).resolve()
    for src in sources:
        if not src.is_file():
            raise JuesuanError(f"文件「{src}」不存在。")
        if out_dir == src.parent:
            raise JuesuanError(f"输出文件夹不能是「{src.name}」所在的文件夹：那会覆盖原文件。")
    seen: dict[str, int] = {}
    targets = []
    for src in sources:
        name = src.stem + ".xlsx"
        seen[name] = seen.get(name, 0) + 1
        targets.append(out_dir / name if seen[name] == 1 else out_dir / str(seen[name]) / name)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="juesuan-batch-", dir=out_dir) as stage:
        # LibreOffice writes every output into one folder, named after its input: give each input a
        # unique name there, then move each output to its place.
        staged_in, staged_out = Path(stage, "in"), Path(stage, "out")
        staged_in.mkdir()
        staged = []
        for i, src in enumerate(sources):
            copy = staged_in / f"{i}{src.suffix}"
            shutil.copyfile(src, copy)
            staged.append(copy)
        proc = _convert(exe, staged, staged_out, timeout if timeout is not None else 120 + 30 * len(sources))
        missing = [src.name for i, src in enumerate(sources) if not (staged_out / f"{i}.xlsx").exists()]
        if proc.returncode != 0 or missing:
            raise JuesuanError(f"LibreOffice 重算失败（退出码 {proc.returncode}；未转换：{'、'.join(missing) or '无'}）："
                               f"{proc.stderr.strip() or proc.stdout.strip()}")
        for i, target in enumerate(targets):
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged_out / f"{i}.xlsx", target)
    return targets


def export_pdf(src: str | Path, out: str | Path, timeout: float = 180, force: bool = False) -> tuple[Path, list[str]]:
    """Print the nine tables of ``src`` to a PDF with LibreOffice: only the tables (the 校验 and 校验结果
    sheets are left out), each with its own print set-up, input cells and marks printed white (no fill,
    no conditional formatting, no status line), every formula recalculated. ``src`` is not modified; an existing ``out``
    is replaced only with ``force``. Returns the PDF's path and the sheets printed."""
    import openpyxl
    from openpyxl.formatting.formatting import ConditionalFormattingList
    from openpyxl.styles import PatternFill

    from juesuan.read.xlsx import read_workbook
    from juesuan.util.atomic import atomic_write, refuse_existing
    from juesuan.util.names import TOOL_SHEETS

    exe = _exe()
    src, out = Path(src).resolve(), Path(out).resolve()
    if out.suffix.lower() != ".pdf":
        raise JuesuanError(f"输出文件「{out}」须以 .pdf 结尾。")
    refuse_existing(out, force)
    read_workbook(src)  # refuses what is not a usable workbook, with the reader's message
    wb = openpyxl.load_workbook(src)
    for name in [n for n in wb.sheetnames if n in TOOL_SHEETS or n.startswith(tuple(TOOL_SHEETS))]:
        del wb[name]
    from juesuan.writeback.marks import STATUS_PREFIX

    none = PatternFill()
    for ws in wb.worksheets:
        ws.conditional_formatting = ConditionalFormattingList()
        for row in ws.iter_rows():
            for c in row:
                if c.fill is not None and c.fill.fill_type:
                    c.fill = none
                if isinstance(c.value, str) and c.value.startswith(STATUS_PREFIX):
                    c.value = None  # an annotated copy's status line is not part of the disclosure
    printed = list(wb.sheetnames)
    with tempfile.TemporaryDirectory(prefix="juesuan-pdf-", dir=out.parent) as stage:
        copy = Path(stage) / (src.stem + ".xlsx")
        wb.save(copy)
        proc = _convert(exe, [copy], Path(stage, "out"), timeout, to="pdf:calc_pdf_Export")
        made = Path(stage, "out", src.stem + ".pdf")
        if proc.returncode != 0 or not made.exists():
            raise JuesuanError(f"LibreOffice 导出 PDF 失败（退出码 {proc.returncode}）：{proc.stderr.strip() or proc.stdout.strip()}")
        data = made.read_bytes()
    return atomic_write(out, lambda fh: fh.write(data), force=True), printed
