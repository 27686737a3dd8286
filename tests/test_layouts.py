"""Issue 8: the reader reads workbooks laid out as real departments, 决算 system exports and provincial
templates lay them out — or says exactly what it could not read.

The corpus is generated at test time (tests/layouts.py: one habit per bullet of the issue, composites,
displaced blocks; tests/shanghai.py: a 上海-layout workbook of our own department). For each re-laid-out
copy the findings, as a multiset of (rule, severity, table, code), equal those of the canonical workbook
of the same figures. ``python -m tests.make_layouts`` writes a few representative files into
tests/data/layouts/ for reviewers to open.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from juesuan.api import fill_workbook
from juesuan.check import check
from juesuan.errors import InputError
from juesuan.model.profile import load_profile
from juesuan.util.atomic import save_workbook

from . import layouts as L
from .books import constants_copy
from .clirun import run_cli
from .conftest import sample_copy
from .shanghai import KNOWN_ERRORS, national_errors, write_shanghai

SHANGHAI = Path(__file__).parent / "data" / "layouts" / "shanghai-department.yaml"
BASES = ("careful", "fund")
# Habits that rewrite codes need well-formed codes: the published sample (6-digit, duplicated codes) takes
# the others.
CODE_HABITS = {n for n in L.HABITS if n.startswith("split_codes") or n == "system_export"}
PUBLISHED = [n for n in L.HABITS if n not in CODE_HABITS]
UNIT_HABITS = {"unit_yuan", "unit_yuan_text", "unit_qianyuan", "yuan_text_one_sheet"}
NUMERALS = "一二三四五"


def keys(report) -> Counter:
    """The findings as a multiset of (rule, severity, table, code). V-04 (blank vs 0 in one table) points at
    the first blank cell in reading order, which depends on the layout: its code is left out."""
    return Counter((f.rule, f.severity, f.table, "" if f.rule == "V-04" else f.code) for f in report.findings)


def meaning_keys(report) -> Counter:
    """As :func:`keys`, with each table named by its id in the profile the report was read with."""
    from juesuan.model.profile import load_profile

    profile = load_profile(report.profile["id"])
    return Counter((f.rule, f.severity, profile.table(f.table).id if f.table else "",
                    "" if f.rule == "V-04" else f.code) for f in report.findings)


def diff(got: Counter, want: Counter) -> str:
    extra, lost = got - want, want - got
    return f"extra {sorted(extra.items())[:8]} (+{sum(extra.values())}); missing {sorted(lost.items())[:8]} " \
           f"(-{sum(lost.values())})"


@pytest.fixture(scope="session")
def canon(tmp_path_factory):
    """base → (constants workbook, its report), built once a session."""
    folder = tmp_path_factory.mktemp("layouts-canon")
    out = {}
    for name in BASES + ("published",):
        src = sample_copy(name, folder / name)
        path = constants_copy(src, folder / f"{name}-constants.xlsx")
        out[name] = (path, check(path))
    return out


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    return tmp_path_factory.mktemp("layouts")


def _same(canon, corpus, base, *habits, name=None):
    path, want = canon[base]
    name = name or "+".join(h.__name__ for h in habits) or "identity"
    out = L.relayout(path, corpus / f"{base}-{name}.xlsx", *habits)
    report = check(out)
    assert keys(report) == keys(want), f"{base} / {name}: {diff(keys(report), keys(want))}"
    assert (report.department, report.year) == (want.department, want.year), name
    return report


# --- the generator itself ----------------------------------------------------------------------------


@pytest.mark.parametrize("base", BASES + ("published",))
def test_the_model_writes_the_canonical_layout_back(canon, corpus, base):
    """Parsing juesuan's workbook into the habit model and writing it unchanged reads as the original: the
    corpus differs from the canonical workbook only by its habits."""
    _same(canon, corpus, base, L.identity)


def test_every_issue_bullet_has_a_habit():
    for name in ("split_codes", "no_lanci", "unit_yuan", "unit_yuan_text", "unit_qianyuan", "no_hangci_24",
                 "no_hangci_25", "seq_first", "remark_last", "blank_column", "budget_column_01", "reorder_columns", "name_before_code",
                 "title_variants", "tag_in_title", "title_prefixed", "contents_sheet", "cover_sheet", "one_sheet",
                 "renamed_sheets", "shuffled_sheets", "long_list_06", "two_blocks_06", "multirow_header_06",
                 "header_words_06", "note_instead_of_explanation", "notes_in_column_c", "unit_line_bianzhi",
                 "unit_line_mingcheng", "year_line_juesuan", "interleaved_09", "total_last", "system_export",
                 "yuan_text_one_sheet"):
        assert name in L.HABITS


# --- one habit at a time -----------------------------------------------------------------------------


@pytest.mark.parametrize("habit", list(L.HABITS))
@pytest.mark.parametrize("base", BASES)
def test_habit_reads_as_the_canonical_layout(canon, corpus, base, habit):
    report = _same(canon, corpus, base, L.HABITS[habit])
    if habit in UNIT_HABITS:  # converted, and the report says so
        assert any("元" in n and "万元" in n for n in report.notes), report.notes


@pytest.mark.parametrize("habit", PUBLISHED)
def test_habit_on_the_published_sample(canon, corpus, habit):
    """The published sample's own errors (truncated codes, 尾差, wrong names) survive every habit."""
    _same(canon, corpus, "published", L.HABITS[habit])


# --- combinations --------------------------------------------------------------------------------------


def _combinations():
    def valid(names):
        return all(len(set(names) & g) <= 1 for g in L.EXCLUSIVE)
    return st.lists(st.sampled_from(L.COMBINABLE), min_size=2, max_size=6, unique=True).filter(valid)


@settings(max_examples=10, deadline=None, derandomize=True, phases=[Phase.generate], report_multiple_bugs=False,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(base=st.sampled_from(BASES), names=_combinations())
def test_random_combinations_of_habits(canon, corpus, base, names):
    """Random combinations of 2–6 habits (no shrinking: a failure names its combination in the message)."""
    habits = L.combination(names)
    _same(canon, corpus, base, *habits, name="+".join(h.__name__ for h in habits)[:150])


# --- displaced blocks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_displaced_block_is_one_s03(canon, corpus, k):
    """k 政府性基金 code rows inserted into 05's code/name columns, not its amounts: from 215 down every
    amount stands k rows above its label. One S-03 (from that row, by k rows), no consequential error,
    the warnings of the canonical workbook and no others."""
    path, want = canon["careful"]
    out = L.relayout(path, corpus / f"careful-displaced-{k}.xlsx", L.displaced_05(k))
    report = check(out)
    errors = [f for f in report.findings if f.severity == "error"]
    assert [(f.rule, f.table) for f in errors] == [("S-03", "公开05表")], diff(keys(report), keys(want))
    first = L.displaced_row(L.parse(path), k)
    shift = errors[0]
    assert int(re.sub(r"\D", "", shift.cell)) == first, (shift.location, first)
    text = shift.message
    assert str(k) in text or f"{NUMERALS[k - 1]}行" in text, text
    warnings = Counter(x for x in keys(report).elements() if x[1] == "warning")
    assert warnings == Counter(x for x in keys(want).elements() if x[1] == "warning")


# --- units ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("habit", ["unit_yuan", "unit_yuan_text", "unit_qianyuan"])
def test_a_yuan_workbook_never_passes_as_wanyuan(canon, corpus, habit):
    """Every amount the report shows is in 万元: the same as in the canonical workbook (never ×10000)."""
    path, want = canon["careful"]
    report = check(L.relayout(path, corpus / f"careful-amounts-{habit}.xlsx", L.HABITS[habit]))
    shown = sorted((f.rule, f.table, f.code, f.expected, f.actual) for f in report.findings)
    assert shown == sorted((f.rule, f.table, f.code, f.expected, f.actual) for f in want.findings)


def test_a_table_without_a_unit_line_is_not_silent(canon, corpus):
    """元 amounts and no 单位 line anywhere: the report warns that the unit could not be told."""
    path, _ = canon["fund"]
    out = L.relayout(path, corpus / "fund-no-unit-yuan.xlsx", L.unit("元"), L.no_unit)
    try:
        report = check(out)
    except InputError as exc:
        assert "单位" in str(exc)
        return
    told = [f for f in report.findings if f.severity in ("warning", "error") and "单位" in f.message]
    assert told, [(f.rule, f.message) for f in report.findings]


# --- honesty ----------------------------------------------------------------------------------------------

JUDGED = {"通过", "尾差", "不符"}


def _rules_using(table: str) -> list:
    out = []
    for rule in load_profile().rules:
        text = " ".join((r.expr or "") + " " + (r.hierarchy or "") for r in rule.relations)
        if f"T{table}" in text:
            out.append(rule.id)
    return out


def _unreadable_06(book):
    """06 found (title, 表号, furniture) but unreadable: no header words, no codes."""
    table = book.table("06")
    for col in table.cols:
        col.path = ["（略）"] if col.path else []
        if col.kind == "code":
            col.cells = [None] * len(col.cells)
    return book


_unreadable_06.__name__ = "unreadable_06"


def test_a_table_found_but_unreadable_is_not_evaluated(canon, corpus):
    path, _ = canon["careful"]
    report = check(L.relayout(path, corpus / "careful-unreadable-06.xlsx", _unreadable_06))
    using = _rules_using("06")
    assert "X-06" in using
    judged = [f for f in report.findings if f.rule in using and f.severity in ("error", "warning")]
    assert not judged, [(f.rule, f.message) for f in judged]
    for rule in using:  # listed, and listed as not evaluated
        assert rule in report.rule_status and report.rule_status[rule] not in JUDGED, (rule, report.rule_status.get(rule))


def _no_tables(folder: Path) -> list:
    """Workbooks in which no table can be located: a staff list; a 封面 and a 目录 naming the tables only."""
    folder.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "人员名单"
    for row in (["序号", "姓名", "科室", "金额"], [1, "张三", "办公室", 12.5], [2, "李四", "财务科", 8]):
        ws.append(row)
    wb.save(folder / "staff.xlsx")
    book = L.Book([], "上海市普陀区示例管理局", 2024)
    book.sheets = [L.Sheet("x", [L.Table(n, t, f"公开{n}表", "", "", None, [], []) for n, t in
                                 zip(L.NUMBERS, ["收入支出决算总表", "收入决算表", "支出决算表", "财政拨款收入支出决算总表",
                                                 "一般公共预算财政拨款支出决算表", "一般公共预算财政拨款基本支出决算明细表",
                                                 "政府性基金预算财政拨款收入支出决算表", "国有资本经营预算财政拨款支出决算表",
                                                 "财政拨款“三公”经费支出决算表"])])]
    book = L.cover_sheet(L.contents_sheet(book))
    book.sheets = [s for s in book.sheets if not s.tables]
    L.write(book, folder / "contents-only.xlsx")
    return [folder / "staff.xlsx", folder / "contents-only.xlsx"]


def test_a_workbook_whose_tables_cannot_be_located_exits_2(corpus):
    for path in _no_tables(corpus / "none"):
        result = run_cli("check", path)
        assert result.returncode == 2, (path.name, result.returncode, result.stdout[-500:])
        assert "Traceback" not in result.stderr + result.stdout
        assert re.search(r"[\u4e00-\u9fff]", result.stderr), result.stderr


# --- the 上海 layout -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def shanghai(tmp_path_factory):
    """(上海 workbook, national workbook) of the same figures, clean and with KNOWN_ERRORS."""
    folder = tmp_path_factory.mktemp("shanghai")
    _, wb = fill_workbook(SHANGHAI)
    national = constants_copy(save_workbook(wb, folder / "national.xlsx"), folder / "national-constants.xlsx")
    return {"clean": (write_shanghai(SHANGHAI, folder / "shanghai.xlsx"), national),
            "errors": (write_shanghai(SHANGHAI, folder / "shanghai-errors.xlsx", KNOWN_ERRORS),
                       national_errors(national, folder / "national-errors.xlsx", KNOWN_ERRORS))}


def test_the_shanghai_department_is_clean_and_its_errors_are_found_in_the_national_layout(shanghai):
    """The figures source itself: the national workbook of the same figures has no finding; with the known
    errors, one error per typed cell."""
    assert not check(shanghai["clean"][1]).findings
    errors = check(shanghai["errors"][1])
    assert sorted(f.rule for f in errors.findings if f.severity == "error") == ["R03-1", "R05-1", "R06-1", "R09-2"]


@pytest.mark.parametrize("variant", ["clean", "errors"])
def test_the_shanghai_layout_reads_with_the_shanghai_profile(shanghai, variant):
    sh_path, nat_path = shanghai[variant]
    sh, nat = check(sh_path), check(nat_path)
    # the 上海 tables have no 表号: findings name them by title; compared by what the table is
    assert meaning_keys(sh) == meaning_keys(nat), diff(meaning_keys(sh), meaning_keys(nat))
    assert (sh.department, sh.year) == (nat.department, nat.year)
    assert sh.profile["id"] == "shanghai-2024" and nat.profile["id"] == "national-2024"
    assert any("shanghai-2024" in n for n in sh.notes)
    assert json.loads(sh.to_json())["profile"]["id"] == "shanghai-2024"
