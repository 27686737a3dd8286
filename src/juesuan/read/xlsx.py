"""Read a filled workbook fast and safely: cell values, formulas, whether a formula has a cached result.

Values come from python-calamine (Rust); formulas from a light scan of the sheet XML. Before
anything parses the file, it is checked: an ``.xls``, an encrypted (password-protected) file, a
file that is not a zip, a truncated zip, a zip bomb or an XML entity bomb each give a clean
:class:`~juesuan.errors.InputError` with a Chinese message, never a traceback.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from juesuan.errors import InputError
from juesuan.util.names import TOOL_SHEETS  # the tool's own sheets: never tables

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_UNPACKED = 64 * 2**20  # a 620-项 template with its 校验 sheet is 15 MiB unpacked
MAX_ROWS, MAX_COLS = 20000, 256  # far beyond any 公开 table: cells further out are not read
_SHEET_RE = re.compile(rb'<sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"', re.S)
_SHEET_RE2 = re.compile(rb'<sheet\b[^>]*?\br:id="([^"]*)"[^>]*?\bname="([^"]*)"', re.S)
_REL_RE = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"', re.S)
_REL_RE2 = re.compile(rb'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"', re.S)
_REF_RE = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_F_RE = re.compile(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.S)
_V_RE = re.compile(rb"<v\b[^>]*?(?:/>|>(.*?)</v>)", re.S)


@dataclass
class Sheet:
    """One worksheet: values (1-based access), formulas and merged ranges."""

    name: str
    rows: list[list[Any]]
    start: tuple[int, int]  # 0-based offset of rows[0][0]
    formulas: dict[tuple[int, int], tuple[str, bool]] = field(default_factory=dict)  # (r, c) → (text, has cache)
    merged: list = field(default_factory=list)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (r, c) → "#REF!" for error cells
    pages: list[int] = field(default_factory=list)  # a sheet read from a PDF: the page of each row

    def __post_init__(self):
        self.max_row = self.start[0] + len(self.rows)
        self.max_col = self.start[1] + max((len(r) for r in self.rows), default=0)
        self._first = (self.start[0] + 1, self.start[1] + 1)  # the 1-based (row, col) of rows[0][0]

    def value(self, row: int, col: int) -> Any:
        """The value at 1-based (row, col); None for an empty cell; the error text for an error cell."""
        if self.errors and (row, col) in self.errors:
            return self.errors[(row, col)]
        r, c = row - self._first[0], col - self._first[1]
        if r < 0 or c < 0 or r >= len(self.rows):
            return None
        line = self.rows[r]
        if c >= len(line):
            return None
        v = line[c]
        return None if v.__class__ is str and not v else v  # "" is an empty cell

    def row_values(self, row: int) -> list[tuple[int, Any]]:
        """(1-based col, value) of every non-empty cell of ``row``, left to right, as :meth:`value` gives them."""
        r = row - 1 - self.start[0]
        out = []
        if 0 <= r < len(self.rows):
            c0 = self.start[1] + 1
            out = [(c0 + i, v) for i, v in enumerate(self.rows[r]) if v is not None and v != ""]
        if self.errors:
            errs = self._errors_by_row().get(row)
            if errs:
                merged = dict(out)
                merged.update(errs)
                out = sorted(merged.items())
        return out

    def _errors_by_row(self) -> dict[int, dict[int, str]]:
        cached = self.__dict__.get("_row_errors")
        if cached is None:
            cached = self.__dict__["_row_errors"] = {}
            for (r, c), t in self.errors.items():
                cached.setdefault(r, {})[c] = t
        return cached

    def head_index(self, rows: int = 15) -> dict[str, list[tuple[int, int]]]:
        """Normalised text → its (row, col) places in the first ``rows`` rows (computed once)."""
        cached = self.__dict__.get("_head")
        if cached is None or cached[0] < rows:
            from juesuan.util.text import norm

            index: dict[str, list[tuple[int, int]]] = {}
            for r in range(1, min(self.max_row, rows) + 1):
                for c, v in self.row_values(r):
                    if c <= self.max_col:
                        index.setdefault(norm(v), []).append((r, c))
            cached = self.__dict__["_head"] = (rows, index)
        return cached[1]

    def text(self, row: int, col: int) -> str:
        v = self.value(row, col)
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)


@dataclass
class Workbook:
    path: Path
    sheets: list[Sheet]
    notes: list[str] = field(default_factory=list)  # what was read with reservations (far cells ignored)
    sheet_names: list[str] | None = None  # every sheet of the file, the tool's own too (None: not known)

    def sheet(self, name: str) -> Sheet:
        return next(s for s in self.sheets if s.name == name)


def _refuse(path: Path, why: str) -> InputError:
    return InputError(f"无法读取「{path}」：{why}")


def open_checked(path: str | Path) -> zipfile.ZipFile:
    """The workbook's zip container, after the checks that make the rest safe."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"文件「{path}」不存在。")
    if path.is_dir():
        raise InputError(f"「{path}」是文件夹，不是工作簿。")
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise _refuse(path, exc.strerror or str(exc)) from None
    if head.startswith(OLE_MAGIC):
        data = path.read_bytes()
        if "EncryptionInfo".encode("utf-16-le") in data or b"EncryptionInfo" in data:
            raise _refuse(path, "文件已加密（设置了打开密码）。请在 Excel/WPS 中打开，取消“用密码进行加密”后另存为 .xlsx 再检查。")
        raise _refuse(path, "这是旧版 Excel 97-2003（.xls）格式。请在 Excel/WPS 中“另存为” Excel 工作簿（.xlsx）后再检查。")
    if not head.startswith(b"PK"):
        kind = "文本或其他格式" if path.suffix.lower() not in (".xls", ".xlsx", ".xlsm") else "已损坏或不是真正的 Excel 文件"
        raise _refuse(path, f"不是 Excel 工作簿（.xlsx），{kind}。")
    try:
        zf = zipfile.ZipFile(path)
        names = set(zf.namelist())
        total = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _refuse(path, f"文件已损坏（压缩包不完整：{exc}）。请重新保存或重新下载。") from None
    if "xl/workbook.xml" not in names:
        zf.close()
        raise _refuse(path, "压缩包里没有工作簿（xl/workbook.xml），不是 Excel 工作簿。")
    if total > MAX_UNPACKED:
        zf.close()
        raise _refuse(path, f"解压后大小 {total // 2**20} MiB，远超决算公开表的正常大小，疑似恶意文件，已拒绝。")
    return zf


def read_part(zf: zipfile.ZipFile, name: str, path: Path) -> bytes:
    """One member of a checked package, refused (InputError) when damaged or holding entity declarations."""
    try:
        data = zf.read(name)
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, zlib.error, NotImplementedError) as exc:
        raise _refuse(path, f"文件已损坏（{name}：{exc}）。请重新保存或重新下载。") from None
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data[:65536]:
        raise _refuse(path, f"{name} 中含有 XML 实体声明（DOCTYPE/ENTITY），正常的工作簿不会有，疑似恶意文件，已拒绝。")
    return data


_read_part = read_part


def _sheet_parts(zf: zipfile.ZipFile, path: Path) -> dict[str, str]:
    wbxml = _read_part(zf, "xl/workbook.xml", path)
    rels = _read_part(zf, "xl/_rels/workbook.xml.rels", path) if "xl/_rels/workbook.xml.rels" in zf.namelist() else b""
    targets = {i: t for i, t in _REL_RE.findall(rels)} | {i: t for t, i in _REL_RE2.findall(rels)}
    sheets = _SHEET_RE.findall(wbxml) or [(n, i) for i, n in _SHEET_RE2.findall(wbxml)]
    out = {}
    for name, rid in sheets:
        target = targets.get(rid, b"").decode("utf-8")
        if not target:
            continue
        target = target.lstrip("/")
        part = target if target.startswith("xl/") else "xl/" + target
        out[_unescape(name.decode("utf-8"))] = part
    return out


_ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|lt|gt|quot|apos|amp);")
_NAMED = {"lt": "<", "gt": ">", "quot": '"', "apos": "'", "amp": "&"}


def _entity(m: re.Match) -> str:
    name = m.group(1)
    if name[0] != "#":
        return _NAMED[name]
    try:
        return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))
    except (ValueError, OverflowError):
        return m.group(0)


def _unescape(text: str) -> str:
    """XML text as it reads: the five named entities and numeric references (``&#20844;``, written by
    lxml-based writers such as openpyxl with lxml installed), in one pass."""
    return _ENTITY.sub(_entity, text)


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


# a formula cell as writers write it: <c r="C7" …><f>SUM(D7:H7)</f><v>12.5</v></c> (its value directly after)
_FORMULA_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})(\d+)"[^>]*>\s*(<f\b[^>]*?(?:/>|>([^<]*)</f>))\s*'
                           rb'<v\b[^>]*?(?:/>|>([^<]*)</v>)')


def scan_formulas(xml: bytes) -> dict[tuple[int, int], tuple[str, bool]]:
    """(row, col) → (formula text, has a cached value) for every formula cell of a sheet's XML."""
    out = {}
    pos = 0
    while True:
        i = xml.find(b"<f", pos)
        if i < 0:
            break
        c = xml.rfind(b"<c ", 0, i)
        end = xml.find(b"</c>", i)
        if c < 0 or end < 0:
            break
        m = _FORMULA_CELL.match(xml, c)
        if m and m.start(3) == i and m.end() <= end:  # the usual cell, in one match
            text = _unescape((m.group(4) or b"").decode("utf-8"))
            out[(int(m.group(2)), _col_index(m.group(1)))] = (text, bool(m.group(5)))
        else:
            _formula_cell(xml, c, i, end, out)
        pos = end + 4
    return out


def _formula_cell(xml: bytes, c: int, i: int, end: int, out: dict) -> None:
    """The formula at ``i`` of the cell starting at ``c``, its value anywhere before ``end``."""
    head = xml[c: xml.find(b">", c) + 1]
    m = _REF_RE.search(head)
    fm = _F_RE.match(xml, i)
    if m and fm:
        vm = _V_RE.search(xml[i:end])
        text = _unescape((fm.group(1) or b"").decode("utf-8"))
        out[(int(m.group(2)), _col_index(m.group(1)))] = (text, bool(vm and vm.group(1)))


_ERR_RE = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})(\d+)"[^>]*?\bt="e"[^>]*>(?:(?!</c>).)*?<v>([^<]*)</v>', re.S)
_ERR_RE2 = re.compile(rb'<c\b[^>]*?\bt="e"[^>]*?\br="([A-Z]{1,3})(\d+)"[^>]*>(?:(?!</c>).)*?<v>([^<]*)</v>', re.S)


def scan_errors(xml: bytes) -> dict[tuple[int, int], str]:
    """(row, col) → error text (``#REF!``) of every error cell of a sheet's XML."""
    if b't="e"' not in xml:
        return {}
    out = {}
    for rx in (_ERR_RE, _ERR_RE2):
        for col, row, text in rx.findall(xml):
            out[(int(row), _col_index(col))] = _unescape(text.decode("utf-8")) or "#错误"
    return out


def read_workbook(path: str | Path, only: str | None = None) -> Workbook:
    """Read every sheet's values and formulas (but the tool's own sheets), or raise an InputError.
    With ``only``, read just the sheet of that name (a tool sheet too: the 情况说明 sheet)."""
    from python_calamine import CalamineWorkbook

    path = Path(path)

    def wanted(name: str) -> bool:
        return name == only if only is not None else name not in TOOL_SHEETS

    zf = open_checked(path)
    try:
        parts = _sheet_parts(zf, path)
        for extra in ("xl/sharedStrings.xml", "xl/styles.xml"):
            if extra in zf.namelist():
                _read_part(zf, extra, path)  # refuses entity bombs before calamine parses them
        xml = {name: _read_part(zf, part, path) for name, part in parts.items()
               if part in zf.namelist() and wanted(name)}
        strings_xml = _read_part(zf, "xl/sharedStrings.xml", path) if "xl/sharedStrings.xml" in zf.namelist() else b""
    finally:
        zf.close()
    cache: list = []

    def shared() -> list[str]:
        if not cache:
            cache.append(_shared_strings(strings_xml))
        return cache[0]

    notes: list[str] = []
    try:
        cwb = _calamine(CalamineWorkbook, path)
        sheets = []
        names = [meta.name for meta in cwb.sheets_metadata]
        for meta in cwb.sheets_metadata:
            if str(meta.typ).split(".")[-1] != "WorkSheet" or not wanted(meta.name):
                continue
            data = xml.get(meta.name, b"")
            far = _far_cells(data)
            if far:
                # A stray cell at XFD1048576 would make the dense reader allocate the whole range: read
                # the sheet sparsely instead, within MAX_ROWS × MAX_COLS, and say what was left out.
                sheets.append(_sparse_sheet(meta.name, data, shared()))
                notes.append(f"工作表「{meta.name}」有 {far} 个单元格远在表格之外（第 {MAX_ROWS} 行或第 {MAX_COLS} 列以外），"
                             "未读取；表格本身照常检查。")
                continue
            cs = cwb.get_sheet_by_name(meta.name)
            rows = cs.to_python()
            sheets.append(Sheet(meta.name, rows, tuple(cs.start) if rows else (0, 0), scan_formulas(data),
                                list(cs.merged_cell_ranges or []), scan_errors(data)))
    except InputError:
        raise
    except Exception as exc:  # calamine raises its own types for broken files
        raise _refuse(path, f"文件内容损坏，无法解析（{type(exc).__name__}: {exc}）。") from None
    return Workbook(path, sheets, notes, names)


def _calamine(opener, path: Path):
    """The calamine workbook of ``path``. A name the system gave undecoded (bytes that are not UTF-8)
    cannot be handed to calamine as a path: the file is then read through an open file."""
    name = str(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        with open(path, "rb") as fh:
            return opener.from_filelike(fh)
    return opener.from_path(name)


# --------------------------------------------------------------------------------------------------
# Sheets with cells far outside any table: read sparsely


CELL_RE = re.compile(rb'<c\b([^>]*?)(?:/>|>(.*?)</c>)', re.S)  # a cell of a sheet's XML: (attributes, body)
_ATTR_R = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_ATTR_T = re.compile(rb'\bt="([a-zA-Z]+)"')
TEXT_RE = re.compile(rb"<t\b[^>]*?(?:/>|>(.*?)</t>)", re.S)  # a text run (<t>) of a string
_SI_RE = re.compile(rb"<si\b[^>]*>(.*?)</si>", re.S)
_MERGE_RE = re.compile(rb'<mergeCell\b[^>]*?\bref="([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)"')


# a cell reference that may lie beyond MAX_COLS (a column after IV) or MAX_ROWS (a row of 5 digits or more):
# a normal sheet has none, so the scan creates no match at all
# (the pattern begins with a literal, so the scan jumps from one `r="` to the next; whether the `r` begins
# an attribute name is checked on the rare match)
_FAR_RE = re.compile(rb'r="(?:([A-Z]{3}|[J-Z][A-Z]|I[W-Z])\d+|[A-Z]{1,3}(\d{5,}))"')
_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
assert MAX_COLS == 256 and MAX_ROWS < 100000  # what _FAR_RE is written for


def _far_cells(xml: bytes) -> int:
    """How many cells of a sheet lie beyond MAX_ROWS × MAX_COLS (0 for a normal sheet)."""
    return sum(1 for m in _FAR_RE.finditer(xml) if (m.start() == 0 or xml[m.start() - 1] not in _WORD)
               and (m.group(1) or int(m.group(2)) > MAX_ROWS))


def _shared_strings(xml: bytes) -> list[str]:
    return [_unescape(b"".join(t or b"" for t in TEXT_RE.findall(si)).decode("utf-8", "replace"))
            for si in _SI_RE.findall(xml)]


def _sparse_sheet(name: str, xml: bytes, strings: list[str]) -> Sheet:
    cells: dict[tuple[int, int], Any] = {}
    for attrs, body in CELL_RE.findall(xml):
        m = _ATTR_R.search(attrs)
        if not m:
            continue
        row, col = int(m.group(2)), _col_index(m.group(1))
        if row > MAX_ROWS or col > MAX_COLS or not body:
            continue
        value = _cell_value(_ATTR_T.search(attrs), body, strings)
        if value is not None:
            cells[(row, col)] = value
    nrows = max((r for r, _ in cells), default=0)
    ncols = max((c for _, c in cells), default=0)
    rows = [[""] * ncols for _ in range(nrows)]
    for (r, c), v in cells.items():
        rows[r - 1][c - 1] = v
    merged = []
    for c0, r0, c1, r1 in _MERGE_RE.findall(xml):
        if int(r1) <= MAX_ROWS and _col_index(c1) <= MAX_COLS:
            merged.append(((int(r0) - 1, _col_index(c0) - 1), (int(r1) - 1, _col_index(c1) - 1)))
    bounded = {k: v for k, v in scan_formulas(xml).items() if k[0] <= MAX_ROWS and k[1] <= MAX_COLS}
    return Sheet(name, rows, (0, 0), bounded, merged, scan_errors(xml))


def _cell_value(t, body: bytes, strings: list[str]):
    kind = t.group(1).decode() if t else "n"
    v = _V_RE.search(body)
    text = (v.group(1) or b"").decode("utf-8", "replace") if v else None
    if kind == "inlineStr":
        return _unescape(b"".join(x or b"" for x in TEXT_RE.findall(body)).decode("utf-8", "replace"))
    if text is None:
        return None
    if kind == "s":
        i = int(text) if text.isdigit() else -1
        return strings[i] if 0 <= i < len(strings) else ""
    if kind in ("str", "e"):
        return _unescape(text)
    if kind == "b":
        return text == "1"
    try:
        return float(text)
    except ValueError:
        return _unescape(text)
