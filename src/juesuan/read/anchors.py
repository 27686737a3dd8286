"""Where each table of a profile stands in a workbook: by 表号, by title, or by sheet name.

A title may carry a prefix (the department and year: ``某某局2024年度收入支出决算总表``) and the 表号 in
brackets (``收入支出决算总表（公开01表）``); of several titles a text ends with, the longest wins
(``一般公共预算财政拨款支出决算表`` is 05, not 03). Several tables may share a sheet: each one's region
runs from its title to the row before the next title. A sheet named like a cover or a contents page
(封面, 目录 …) only yields a table if nothing better is found; the locator decides by reading.
"""

from __future__ import annotations

import re

from juesuan.model.profile import Profile
from juesuan.read.grid import Region
from juesuan.read.xlsx import Sheet, Workbook
from juesuan.util.names import TOOL_SHEETS
from juesuan.util.text import norm

_NUMBER_RE = re.compile(r"公开(\d{1,2})表")
_NUMBER_SUFFIX = re.compile(r"[(（\[【]?公开(\d{1,2})表[)）\]】]?$")
MERGE_ROWS = 4  # a 表号 and a title of the same table this close together are one anchor


class _Titles:
    def __init__(self, profile: Profile):
        self.profile = profile
        pairs = [(norm(t), spec.id) for spec in profile.tables for t in spec.titles]
        self.titles = sorted(pairs, key=lambda p: -len(p[0]))

    def by_number(self, n: str) -> str | None:
        try:
            spec = self.profile.table(f"{int(n):02d}")
        except KeyError:
            return None
        return spec.id if spec.number.endswith(f"{int(n):02d}表") else None

    def match(self, text: str) -> tuple[str, str] | None:
        """(table id, how) for a cell's text that names a table, else None (remembered per text: the
        same labels fill every sheet of every workbook)."""
        memo = self.__dict__.setdefault("_memo", {})
        if text in memo:
            return memo[text]
        if len(memo) > 50000:
            memo.clear()
        hit = memo[text] = self._match(text)
        return hit

    def _match(self, text: str) -> tuple[str, str] | None:
        t = norm(text)
        if len(t) > 80:
            return None
        m = _NUMBER_RE.fullmatch(t)
        if m:
            tid = self.by_number(m.group(1))
            return (tid, "表号") if tid else None
        number = None
        m = _NUMBER_SUFFIX.search(t)
        if m and m.start() > 0:
            number, t = m.group(1), t[: m.start()]
        for title, tid in self.titles:
            if t.endswith(title) and (len(t) == len(title) or _prefix_ok(t[: -len(title)])):
                return tid, "标题"
        if number:
            tid = self.by_number(number)
            return (tid, "表号") if tid else None
        return None


def _prefix_ok(prefix: str) -> bool:
    """What may stand before a title: a department and a year, not a sentence."""
    return not any(ch in prefix for ch in "。；;，,：:") and len(prefix) <= 40


def _anchors(sheet: Sheet, titles: _Titles) -> list[tuple[int, int, str, str, str]]:
    """(row, col, table id, how, text) of every cell of ``sheet`` that names a table."""
    found = []
    for i, line in enumerate(sheet.rows):
        r = sheet.start[0] + i + 1
        for j, v in enumerate(line):
            if isinstance(v, str) and v:
                hit = titles.match(v)
                if hit:
                    found.append((r, sheet.start[1] + j + 1, hit[0], hit[1], norm(v)))
    merged: list[list] = []
    for a in sorted(found):
        last = next((m for m in reversed(merged) if m[2] == a[2]), None)
        if last is not None and a[0] - last[0] <= MERGE_ROWS and not any(m[2] != a[2] and m[0] > last[0] for m in merged):
            if a[3] == "标题":
                last[3], last[4] = "标题", a[4]
            continue
        merged.append(list(a))
    return [tuple(m) for m in merged]


def _regions_of(sheet: Sheet, titles: _Titles) -> list[tuple[str, Region]]:
    anchors = _anchors(sheet, titles)
    out = []
    for i, (r, _, tid, how, text) in enumerate(anchors):
        bottom = anchors[i + 1][0] - 1 if i + 1 < len(anchors) else sheet.max_row
        out.append((tid, Region(sheet, r, bottom, how, text)))
    if not anchors:
        hit = titles.match(sheet.name) or _sheet_name_number(sheet.name, titles)
        if hit:
            out.append((hit[0], Region(sheet, 1, sheet.max_row, "工作表名", sheet.name)))
    return out


def _sheet_name_number(name: str, titles: _Titles) -> tuple[str, str] | None:
    m = _NUMBER_RE.search(norm(name))
    if m:
        tid = titles.by_number(m.group(1))
        return (tid, "表号") if tid else None
    return None


def candidate_regions(wb: Workbook, profile: Profile) -> dict[str, list[Region]]:
    """Table id → the regions that may hold it, most likely first (sheets that look like a cover or a
    contents page last)."""
    titles = profile.__dict__.get("_titles")
    if titles is None:  # one per profile: its memory of texts serves every workbook read with it
        titles = profile.__dict__["_titles"] = _Titles(profile)
    first: dict[str, list[Region]] = {}
    last: dict[str, list[Region]] = {}
    for sheet in wb.sheets:
        if sheet.name in TOOL_SHEETS:
            continue  # the tool's own result sheets mention 表号 too
        aside = any(word in norm(sheet.name) for word in profile.reading.non_tables)
        for tid, region in _regions_of(sheet, titles):
            (last if aside else first).setdefault(tid, []).append(region)
    return {tid: first.get(tid, []) + last.get(tid, []) for tid in set(first) | set(last)}
