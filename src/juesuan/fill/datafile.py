"""Department data files (YAML or JSON, amounts in 万元) and the layouts and values they give.

The format (documented in README.md)::

    部门: 洛阳市洛龙区工业和信息化局
    年度: 2024
    科目名称: {"2150517": 产业发展}          # names the catalog lacks (optional)
    公开01表: {1: 853.47, 27: 853.47}        # 行次: 金额
    公开02表:
      合计: [853.47, 853.47, 0, 0, 0, 0, 0]  # optional: a given total is kept as a constant
      科目:
        - [2060399, 其他应用研究支出, 180.00, 180.00, 0, 0, 0, 0, 0]
    公开04表: {1: 853.47, 38: [362.50, 362.50, 0, 0]}   # expense lines: 栏2–5
    公开06表: {30101: 80.80, 30108: [机关事业单位基本养老保险费, 29.08]}
    公开09表: [1.20, 0, 1.20, 0, 1.20, 0, 0.85, 0, 0.85, 0, 0.85, 0]

Everything the data says is written, errors included; only a value that has no place in the layout
is refused, with its place in the file.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from juesuan.util.names import NARRATIVE_DATA_SHEET
from juesuan.catalog import Catalog, default_catalog
from juesuan.errors import DataFileError, ModelError
from juesuan.layout.build import build_layout, hierarchy_rows, missing_names, verbatim_rows
from juesuan.layout.tables import CodeRow
from juesuan.layout.workbook import WorkbookLayout
from juesuan.util.codes import ITEM_RE as CODE_RE
from juesuan.model.profile import DEFAULT_PROFILE, Profile, load_profile
from juesuan.util.money import parse_amount
from juesuan.layout.keys import CellKey

KEY_ALIASES = {
    "部门": "department", "部门名称": "department", "department": "department",
    "年度": "year", "year": "year",
    "科目名称": "names", "names": "names",
    "表样": "profile", "profile": "profile",
}


@dataclass
class DataFile:
    """A parsed data file: plain Python data plus the line of each path (YAML only)."""

    path: Path
    data: dict
    lines: dict[tuple, int] = field(default_factory=dict)

    def where(self, *path) -> str:
        """``「sample.yaml」第 12 行（公开02表 › 科目 › 第 3 行）``: a place for messages."""
        line = None
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                line = self.lines[path[:n]]
                break
        shown = " › ".join(f"第 {p + 1} 项" if isinstance(p, int) and not isinstance(p, bool) else str(p)
                           for p in path)
        at = f"第 {line} 行" if line else ""
        return f"数据文件「{self.path}」{at}（{shown}）" if shown else f"数据文件「{self.path}」{at}"


# --------------------------------------------------------------------------------------------------
# Reading


def _node_to_py(node, path: tuple, lines: dict, loader) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = {}
        for knode, vnode in node.value:
            key = _scalar(knode, loader)
            key = key if isinstance(key, str) else str(key)
            out[key] = _node_to_py(vnode, path + (key,), lines, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_node_to_py(item, path + (i,), lines, loader) for i, item in enumerate(node.value)]
    return _scalar(node, loader)


def _scalar(node, loader):
    if not isinstance(node, yaml.ScalarNode):
        return str(loader.construct_object(node, deep=True))
    tag = node.tag.rsplit(":", 1)[-1]
    if tag == "int":
        text = node.value.replace("_", "")
        return Decimal(int(text, 0)) if text.lower().startswith(("0x", "0o")) else Decimal(text)
    if tag == "float":
        try:
            return Decimal(node.value.replace("_", ""))
        except Exception:
            return node.value
    if tag == "null":
        return None
    if tag == "bool":
        return loader.construct_object(node)
    return node.value


_C_LOADER = getattr(yaml, "CSafeLoader", None)  # libyaml, where PyYAML was built with it


def _compose(text: str):
    """The YAML node tree of ``text``: parsed with libyaml's C parser where it is installed (tags are
    resolved by the same Python resolver), with the pure-Python parser otherwise — and always for a file
    that does not parse, so that the error message and its line are the ones the Python parser gives."""
    for cls in ((_C_LOADER,) if _C_LOADER else ()) + (yaml.SafeLoader,):
        try:
            loader = cls(text)
            try:
                return loader.get_single_node()
            finally:
                loader.dispose()
        except yaml.YAMLError:
            if cls is yaml.SafeLoader:
                raise
    return None


def read_datafile(path: str | Path) -> DataFile:
    """Read a YAML or JSON data file, or raise a :class:`DataFileError` naming the file."""
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"数据文件「{path}」不存在。")
    if path.is_dir():
        raise DataFileError(f"「{path}」是文件夹，不是数据文件。")
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataFileError(f"数据文件「{path}」不是 UTF-8 编码的文本（YAML 或 JSON）。"
                            f"如果这是 Excel 工作簿，请用 juesuan check 检查它。") from None
    except OSError as exc:
        raise DataFileError(f"无法读取数据文件「{path}」：{exc.strerror or exc}") from None
    lines: dict[tuple, int] = {}
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text, parse_float=Decimal, parse_int=Decimal)
        except json.JSONDecodeError as exc:
            raise DataFileError(f"数据文件「{path}」第 {exc.lineno} 行第 {exc.colno} 列：JSON 格式错误（{exc.msg}）。") from None
    else:
        try:
            node = _compose(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
            raise DataFileError(f"数据文件「{path}」{at}：YAML 格式错误（{getattr(exc, 'problem', exc)}）。") from None
        data = _node_to_py(node, (), lines, yaml.SafeLoader("")) if node is not None else None
    if not isinstance(data, dict):
        raise DataFileError(f"数据文件「{path}」的顶层应是键值对（部门、年度、公开01表 …），见 README 的「数据文件格式」。")
    return DataFile(path, data, lines)


# --------------------------------------------------------------------------------------------------
# From a data file to a layout and values


@dataclass
class Filled:
    layout: WorkbookLayout
    values: dict[CellKey, Any]
    warnings: list[str]
    balance: Any = None  # the 舍位平衡 result when the data was in 元


def _code_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _amount(df: DataFile, path: tuple, value, warnings: list[str]):
    number, ok = parse_amount(value)
    if ok:
        return number
    if isinstance(value, (list, dict)):
        raise DataFileError(f"{df.where(*path)}：这里应是一个金额，不是列表或键值对。")
    warnings.append(f"{df.where(*path)}：「{value}」不是金额，按原文写入单元格，审核时会报告。")
    return str(value)


def _table_key(profile: Profile, key: str):
    text = unicodedata.normalize("NFKC", key).replace(" ", "")
    for cand in (text, text.removeprefix("公开").removesuffix("表"), "gk" + text.removeprefix("gk")):
        try:
            return profile.table(cand)
        except KeyError:
            continue
    return None


def fill_from_datafile(df: DataFile, profile: Profile | None = None, catalog: Catalog | None = None,
                       department: str | None = None, year: int | None = None) -> Filled:
    """The layout and cell values a data file describes."""
    meta = {KEY_ALIASES[k]: v for k, v in df.data.items() if k in KEY_ALIASES}  # the last one wins
    profile = profile or _profile(df)  # first: the table keys are read against it, wherever 表样 stands
    tables = _tables(df, profile)
    department = department or (str(meta["department"]) if meta.get("department") is not None else "")
    if not department:
        raise DataFileError(f"{df.where()}：缺少「部门」（部门名称）。")
    year = _year(df, meta, year)
    catalog = catalog or default_catalog(year)
    reading = _Reading(df, _names(df, meta), catalog)
    for tid, (tkey, body) in tables.items():
        spec = profile.table(tid)
        READERS[spec.kind](reading, spec, tkey, body)
    if reading.missing:
        raise DataFileError(str(missing_names(reading.missing, "data")))
    if reading.problems:  # every value without a place, in one run
        raise DataFileError(f"数据文件「{df.path}」中有 {len(reading.problems)} 个金额在表样中没有位置：\n"
                            + "\n".join(f"  {p}" for p in reading.problems))
    layout = build_layout(profile, catalog, department, year, reading.coded_rows, reading.econ_extra,
                          reading.econ_names)
    warnings: list[str] = []
    values: dict[CellKey, Any] = {}
    for key, path, v in reading.cells:
        value = _amount(df, path, v, warnings)
        if value is not None:  # null: not given (an input stays blank, a derived cell keeps its formula)
            values[key] = value
    return Filled(layout, values, warnings)


def _profile(df: DataFile) -> Profile:
    """The profile the data file names (表样, the last one if several), or the default."""
    keys = [k for k in df.data if KEY_ALIASES.get(k) == "profile"]
    if not keys:
        return load_profile(DEFAULT_PROFILE)
    try:
        return load_profile(str(df.data[keys[-1]]) or DEFAULT_PROFILE)
    except ModelError as exc:
        raise DataFileError(f"{df.where(keys[-1])}：{exc}。") from None


def _tables(df: DataFile, profile: Profile) -> dict[str, tuple[str, Any]]:
    """Table id → (the key written, its body), in the order of the file; any other key is refused."""
    tables: dict[str, tuple[str, Any]] = {}
    for key, value in df.data.items():
        if key in KEY_ALIASES or key == NARRATIVE_DATA_SHEET:  # the 情况说明 inputs: juesuan.narrative
            continue
        spec = _table_key(profile, key)
        if spec is None:
            raise DataFileError(f"{df.where(key)}：不认识的键「{key}」。可用的键：部门、年度、科目名称、公开01表 … 公开09表、情况说明数据。")
        tables[spec.id] = (key, value)
    return tables


def _year(df: DataFile, meta: dict, year: int | None) -> int:
    try:
        year = year or int(meta.get("year") or 0)
    except (TypeError, ValueError):
        raise DataFileError(f"{df.where('年度')}：年度应是四位数字，例如 2024。") from None
    if not 2000 <= year <= 2100:
        raise DataFileError(f"{df.where('年度')}：缺少或无效的「年度」（应为四位数字，例如 2024）。")
    return year


def _names(df: DataFile, meta: dict) -> dict[str, str]:
    names_raw = meta.get("names") or {}
    if not isinstance(names_raw, dict):
        raise DataFileError(f"{df.where('科目名称')}：「科目名称」应是 代码: 名称 的键值对。")
    return {_code_text(k): str(v) for k, v in names_raw.items()}


@dataclass
class _Reading:
    """What the tables of a data file give before the layout exists: coded rows, optional economic codes
    and their names, and each amount with its key and its place in the file (read once the layout is built)."""

    df: DataFile
    names: dict[str, str]
    catalog: Catalog
    coded_rows: dict[str, list[CodeRow]] = field(default_factory=dict)
    econ_extra: set[str] = field(default_factory=set)
    econ_names: dict[str, str] = field(default_factory=dict)
    cells: list[tuple[CellKey, tuple, Any]] = field(default_factory=list)
    missing: list = field(default_factory=list)  # (where, code) of codes without a name
    problems: list[str] = field(default_factory=list)  # values without a place, reported together


def _read_coded(r: _Reading, spec, tkey: str, body) -> None:
    r.coded_rows[spec.id] = _coded(r.df, spec, tkey, body, r.names, r.catalog, r.cells, r.missing)


def _read_economic(r: _Reading, spec, tkey: str, body) -> None:
    """06: 经济分类代码: 金额, or 代码: [科目名称, 金额]."""
    df = r.df
    if not isinstance(body, dict):
        raise DataFileError(f"{df.where(tkey)}：{spec.number} 应写成 经济分类代码: 金额 的键值对。")
    allowed = {c for b in spec.blocks for c in b.codes} | {t.key for t in spec.totals}
    for k, v in body.items():
        code = _code_text(k)
        if code not in allowed:
            r.problems.append(f"{df.where(tkey, k)}：{spec.number} 没有科目「{code}」，该金额在表中没有位置。")
            continue
        if code in spec.optional_codes:
            r.econ_extra.add(code)
        if isinstance(v, list):
            if len(v) != 2:
                raise DataFileError(f"{df.where(tkey, k)}：应写成 金额，或 [科目名称, 金额]。")
            r.econ_names[code] = str(v[0])
            v = v[1]
        r.cells.append((CellKey(spec.id, code, None), (tkey, k), v))


def _read_paired(r: _Reading, spec, tkey: str, body) -> None:
    """01, 04: 行次: 金额, or 行次: [栏, 栏 …] on a side with several columns."""
    df = r.df
    if not isinstance(body, dict):
        raise DataFileError(f"{df.where(tkey)}：{spec.number} 应写成 行次: 金额 的键值对。")
    for k, v in body.items():
        try:
            line = int(str(k))
            side = spec.side_of(line)
        except (ValueError, KeyError):
            r.problems.append(f"{df.where(tkey, k)}：{spec.number} 没有行次「{k}」。")
            continue
        cols = sorted(side.values)
        vals = v if isinstance(v, list) else [v]
        if len(vals) != len(cols):
            raise DataFileError(f"{df.where(tkey, k)}：{spec.number} 行次 {line} 有 {len(cols)} 栏"
                                f"（栏次 {cols[0]}–{cols[-1]}），给出了 {len(vals)} 个金额。")
        for col, val in zip(cols, vals):
            if line in spec.blank_lines and val is not None:
                r.problems.append(f"{df.where(tkey, k)}：{spec.number} 行次 {line} 是空行，不填金额。")
                break
            r.cells.append((CellKey(spec.id, line, col), (tkey, k), val))


def _read_single(r: _Reading, spec, tkey: str, body) -> None:
    """09: a list of every column's amount, or 栏次: 金额."""
    df = r.df
    cols = sorted(spec.columns)
    if isinstance(body, list):
        if len(body) != len(cols):
            raise DataFileError(f"{df.where(tkey)}：{spec.number} 有 {len(cols)} 栏，给出了 {len(body)} 个金额。")
        items = list(zip(cols, body, range(len(body))))
    elif isinstance(body, dict):
        items = []
        for k, v in body.items():
            try:
                col = int(str(k))
            except ValueError:
                col = None
            if col not in spec.columns:
                r.problems.append(f"{df.where(tkey, k)}：{spec.number} 没有栏次「{k}」（栏次 1–{cols[-1]}）。")
                continue
            items.append((col, v, k))
    else:
        raise DataFileError(f"{df.where(tkey)}：{spec.number} 应是 {len(cols)} 个金额的列表，或 栏次: 金额。")
    for col, v, k in items:
        r.cells.append((CellKey(spec.id, 0, col), (tkey, k), v))


READERS = {"coded": _read_coded, "economic": _read_economic, "paired": _read_paired, "single": _read_single}


def _coded(df, spec, tkey, body, names, catalog, cells, missing=None) -> list[CodeRow]:
    ncols = len(spec.columns)
    cols = sorted(spec.columns)
    total = None
    if isinstance(body, list):
        rows_raw, rows_key = body, None
    elif isinstance(body, dict):
        rows_raw, rows_key = [], None
        for k, v in body.items():
            if k in ("科目", "rows"):
                rows_raw, rows_key = v or [], k
            elif k in ("合计", "total"):
                total = (k, v)
            else:
                raise DataFileError(f"{df.where(tkey, k)}：{spec.number} 只有「合计」和「科目」两项。")
        if not isinstance(rows_raw, list):
            raise DataFileError(f"{df.where(tkey, rows_key)}：「科目」应是列表，每行 [代码, 名称, 栏1, 栏2 …]。")
    else:
        raise DataFileError(f"{df.where(tkey)}：{spec.number} 应有「科目」列表（及可选的「合计」）。")

    def path(i):
        return (tkey, rows_key, i) if rows_key else (tkey, i)

    parsed = []
    for i, row in enumerate(rows_raw):
        if not isinstance(row, list) or not row:
            raise DataFileError(f"{df.where(*path(i))}：每行写作 [代码, 名称, 栏1 … 栏{ncols}]。")
        code = _code_text(row[0])
        name = None if len(row) < 2 or row[1] is None else str(row[1])
        vals = row[2:]
        if vals and len(vals) != ncols:
            raise DataFileError(f"{df.where(*path(i))}：{spec.number} 有 {ncols} 栏金额（栏次 1–{ncols}），"
                                f"这一行给出了 {len(vals)} 个。")
        parsed.append((code, name, vals))
    codes = [c for c, _, _ in parsed]
    if codes and all(CODE_RE.fullmatch(c) for c in codes) and len(set(codes)) == len(codes):
        # Only well-formed 项 rows: the tool builds the hierarchy, in code order.
        local = dict(names)
        local.update({c: n for c, n, _ in parsed if n})
        first = {c: i for i, c in reversed(list(enumerate(codes)))}
        rows = hierarchy_rows(codes, local, catalog, where=lambda c: df.where(*path(first[c])) + "：", missing=missing)
        index = {r.code: j for j, r in enumerate(rows) if j}
        targets = [index[c] for c in codes]
    else:
        rows = verbatim_rows([(c, n) for c, n, _ in parsed], names, catalog,
                             where=lambda i: df.where(*path(i)) + "：", missing=missing)
        targets, j = [], 1
        for c, _, _ in parsed:
            while rows[j].generated:
                j += 1
            targets.append(j)
            j += 1
    for (code, _, vals), target, i in zip(parsed, targets, range(len(parsed))):
        for col, v, n in zip(cols, vals, range(ncols)):
            cells.append((CellKey(spec.id, target, col), path(i) + (n + 2,), v))
    if total is not None:
        k, v = total
        if not isinstance(v, list) or len(v) != ncols:
            raise DataFileError(f"{df.where(tkey, k)}：「合计」应是 {ncols} 个金额的列表。")
        if not parsed:
            raise DataFileError(f"{df.where(tkey, k)}：{spec.number} 没有科目行，合计行为空行，不填金额。")
        for col, val, n in zip(cols, v, range(ncols)):
            cells.append((CellKey(spec.id, 0, col), (tkey, k, n), val))
    return rows


def print_warnings(warnings: list[str]) -> None:
    for w in warnings:
        print(f"提示：{w}", file=sys.stderr)
