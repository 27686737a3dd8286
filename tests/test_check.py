"""The validator on the samples, on mutated workbooks (every rule), on LibreOffice-saved and
constant-only workbooks, on renamed sheets and inserted rows, and on a shifted block."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest

from juesuan.validate.engine import check, load, relation_difference, relation_envelope
from juesuan.model.profile import load_profile
from juesuan.layout.keys import CellKey
from juesuan.rules.graph import graph_of

from .books import cached_copy, constants_copy, edit_cells


PROFILE = load_profile()
RELATION_RULES = [r.id for r in PROFILE.rules if r.relations]


@pytest.fixture(scope="session")
def published_xlsx(sample_xlsx):
    return sample_xlsx("published")


@pytest.fixture(scope="session")
def careful_xlsx(sample_xlsx):
    return sample_xlsx("careful")


@pytest.fixture(scope="session")
def fund_xlsx(sample_xlsx):
    """A department with all three kinds of 财政拨款 (07 and 08 filled)."""
    return sample_xlsx("fund")


@pytest.fixture(scope="session")
def constants(careful_xlsx, tmp_path_factory):
    """The careful sample with every formula overwritten by its value (built in Python; that LibreOffice
    gives the same workbook is test_libreoffice_constants_are_the_python_constants)."""
    return constants_copy(careful_xlsx, tmp_path_factory.mktemp("const") / "constants.xlsx")


@pytest.fixture(scope="session")
def fund_constants(fund_xlsx, tmp_path_factory):
    """The fund department, formulas overwritten by values."""
    return constants_copy(fund_xlsx, tmp_path_factory.mktemp("fund-const") / "fund-constants.xlsx")


class _Checked(dict):
    """path → (report, context) of a base workbook, checked once for the whole session."""

    def __missing__(self, path):
        self[path] = (check(path), load(path))
        return self[path]


@pytest.fixture(scope="session")
def checked():
    return _Checked()


def _base(rule_id, constants, fund_constants):
    """The careful sample, or for rules about 07/08 the fund department."""
    rule = PROFILE.rule(rule_id)
    exprs = " ".join(r.expr or r.hierarchy for r in rule.relations)
    return fund_constants if ("T07" in exprs or "T08" in exprs) else constants


def _errors(report):
    return [f for f in report.findings if f.severity == "error"]


def _without_file(report):
    d = report.to_dict()
    d.pop("file")
    return d


# --- the samples -----------------------------------------------------------------------------------


def test_published_sample_errors_are_found_by_rules(published_xlsx):
    report = check(published_xlsx)
    errors = {(f.location, f.rule) for f in _errors(report)}
    cut = ["A10", "A12", "A14", "A17", "A20", "A23", "A26", "A30"]  # 206039 206040 206999 208050 208080 210110 215050 221020
    assert {(f"公开02表!{c}", "R02-4") for c in cut} <= errors
    assert ("公开02表!A18", "R02-4") in errors and ("公开02表!A27", "R02-4") in errors  # duplicated 208050, 215050
    assert {rule for _, rule in errors} == {"R02-4"}
    assert report.exit_code == 1
    warnings = {(f.location, f.rule) for f in report.findings if f.severity == "warning"}
    assert warnings == {("公开06表!B12", "R06-4"), ("公开06表!E22", "R06-4"), ("公开06表!B31", "R06-4")}


def test_published_sample_rounding_tails_are_hints(published_xlsx):
    report = check(published_xlsx)
    hints = {(f.location, f.rule) for f in report.findings if f.severity == "info"}
    assert ("公开01表!F14", "X-04") in hints   # 198.53 vs 03 表 198.52
    assert ("公开04表!G14", "X-05") in hints
    assert ("公开06表!C6", "R06-1") in hints   # 301: 282.51 vs Σ 款 282.49
    assert ("公开06表!C39", "R06-2") in hints  # 人员经费合计 454.49 vs 454.50
    assert ("公开03表!D7", "R03-2") in hints   # 基本支出合计 479.98 vs Σ 类 479.97
    assert ("公开03表!F12", "V-04") in hints   # blanks beside zeros
    tail = next(f for f in report.findings if f.location == "公开01表!F14")
    assert (tail.actual, tail.expected, tail.tolerance) == (Decimal("198.53"), Decimal("198.52"), Decimal("0.020"))


def test_careful_sample_has_no_errors_nor_warnings(careful_xlsx):
    report = check(careful_xlsx)
    assert _errors(report) == [] and report.count("warning") == 0 and report.exit_code == 0
    assert report.notes  # computed in Python: openpyxl wrote no cached values


def test_base_workbooks_of_the_mutations_have_no_errors(constants, fund_constants, checked):
    for base in (constants, fund_constants):
        report, _ = checked[base]
        assert report.errors == 0, report.flat()
        assert not report.notes  # constants only: nothing left to compute


def test_cached_and_constant_workbooks_read_alike(careful_xlsx, constants, tmp_path):
    """Formulas with the results Excel would save, constants pasted over the formulas, formulas computed
    in Python: one report."""
    cached = cached_copy(careful_xlsx, tmp_path / "cached.xlsx")
    reports = [check(p) for p in (careful_xlsx, cached, constants)]
    assert reports[0].flat() == reports[1].flat() == reports[2].flat()
    assert _without_file(reports[1])["findings"] == _without_file(reports[2])["findings"]
    assert reports[0].notes and not reports[1].notes  # cached results: nothing computed in Python


@pytest.mark.libreoffice("careful")
def test_libreoffice_saved_and_constant_workbooks_read_alike(careful_xlsx, constants, lo):
    careful_lo = lo("careful")
    flat = [check(p).flat() for p in (careful_xlsx, careful_lo, constants)]
    assert flat[0] == flat[1] == flat[2]
    assert not check(careful_lo).notes  # LibreOffice saved cached values


@pytest.mark.libreoffice("careful", "fund")
def test_libreoffice_constants_are_the_python_constants(constants, fund_constants, lo, tmp_path):
    """The constant workbooks the mutation tests start from, built in Python, give exactly the findings of
    the same workbooks recalculated by LibreOffice with their formulas overwritten by LibreOffice's values."""
    for name, built in (("careful", constants), ("fund", fund_constants)):
        wb = openpyxl.load_workbook(lo(name), data_only=True)
        wb.save(tmp_path / f"{name}-lo-constants.xlsx")
        by_lo = _without_file(check(tmp_path / f"{name}-lo-constants.xlsx"))
        assert by_lo == _without_file(check(built)), name


@pytest.mark.libreoffice("published")
def test_published_sample_recalculated_by_libreoffice_gives_the_same_findings(published_xlsx, lo):
    assert check(lo("published")).flat() == check(published_xlsx).flat()


def test_renamed_reordered_sheets_and_inserted_rows(constants, checked, tmp_path):
    base, _ = checked[constants]
    wb = openpyxl.load_workbook(constants)
    for i, ws in enumerate(wb.worksheets):
        ws.title = f"Sheet{i + 1}"
    wb.move_sheet("Sheet3", offset=-2)
    ws3 = wb["Sheet3"]
    ws3.insert_rows(2, amount=2)  # two rows above the header: every cell of 03 moves down
    path = tmp_path / "renamed.xlsx"
    wb.save(path)
    report = check(path)
    assert report.tables["公开03表"] == "Sheet3" and report.tables["公开01表"] == "Sheet1"
    assert [(f.table, f.rule, f.severity) for f in report.findings] == \
        [(f.table, f.rule, f.severity) for f in base.findings]


def test_cached_value_that_disagrees_with_the_model_is_a_finding(careful_xlsx, tmp_path):
    # 公开03表: 合计 栏1 saved with a stale 900 (its parts sum to 853.46)
    out = cached_copy(careful_xlsx, tmp_path / "stale.xlsx", stale={("公开03表", "C7"): Decimal("900")})
    report = check(out)
    f = next(f for f in report.findings if f.location == "公开03表!C7" and f.severity == "error")
    assert "V-03" in [f.rule] + f.relations and f.actual == Decimal("900")


# --- mutations: every relation rule --------------------------------------------------------------


def _pick(ctx, rule_id, need_tol=None):
    """An instance of the rule that holds exactly on the base workbook, and the cell to change."""
    rule = PROFILE.rule(rule_id)
    from juesuan.rules.instances import instantiate

    for require_exact in (True, False):
        found = _pick_pass(ctx, instantiate(rule, ctx.layout), need_tol, require_exact)
        if found:
            return found
    return None


def _pick_pass(ctx, instances, need_tol, require_exact):
    for inst in instances:
        key = inst.target or next((k for _, t in inst.lhs for k in ctx.layout.keys_of(t) if k in ctx.cells), None)
        if key is None or key not in ctx.cells:
            continue
        diff = relation_difference(ctx, inst)
        if diff is None or (inst.op == "<=" and diff > 0):
            continue
        if inst.op == "=" and diff != 0 and (require_exact or abs(diff) >= relation_envelope(ctx, inst)):
            continue
        if need_tol is not None and not _room(ctx, key, need_tol):
            continue
        return inst, key, diff
    return None


def _room(ctx, key, delta):
    """Whether adding ``delta`` to ``key`` keeps every relation through it within its envelope."""
    for other in graph_of(ctx.layout).instances:
        cells = [(s, t) for s, t in other.lhs if t == key] + [(-s, t) for s, t in other.rhs if t == key]
        if not cells:
            continue
        coef = sum(s for s, _ in cells)
        diff, tol = relation_difference(ctx, other), relation_envelope(ctx, other)
        if diff is None:
            continue
        new = diff + coef * delta
        if other.op == "<=" and new <= 0:
            continue
        if abs(new) >= tol:
            return False
    return True


def _mutate(path, ctx, key, delta, out):
    cell = ctx.cells[key]
    edit_cells(path, out, [(cell.sheet, cell.a1, float((cell.value or 0) + delta))])
    return cell


@pytest.mark.parametrize("rule_id", RELATION_RULES)
def test_mutation_beyond_the_envelope_is_found_at_the_cell(rule_id, constants, fund_constants, checked, tmp_path):
    constants = _base(rule_id, constants, fund_constants)
    base, ctx = checked[constants]
    assert base.errors == 0
    picked = _pick(ctx, rule_id)
    assert picked, f"no instance of {rule_id} to mutate"
    inst, key, diff = picked
    delta = Decimal("1.00") if inst.op == "=" else (-diff + Decimal("5.00"))
    cell = _mutate(constants, ctx, key, delta, tmp_path / "m.xlsx")
    report = check(tmp_path / "m.xlsx")
    at = [f for f in report.findings if f.location == f"{cell.sheet}!{cell.a1}" and f.severity != "info"]
    assert at, f"{rule_id}: nothing at {cell.sheet}!{cell.a1}: {report.flat()}"
    assert any(rule_id == f.rule or any(r.startswith(rule_id) for r in f.relations) for f in at), \
        (rule_id, [(f.rule, f.relations) for f in at])
    # reported at least as severely as the rule says (a cell that also breaks a 强制 rule is an error)
    allowed = {"E": {"error"}, "W": {"error", "warning"}}[inst.rule.severity]
    assert any(f.severity in allowed for f in at)


WITHIN = [r for r in RELATION_RULES if PROFILE.rule(r).severity == "E"]


@pytest.mark.parametrize("rule_id", WITHIN)
def test_mutation_within_the_envelope_is_only_a_hint(rule_id, constants, fund_constants, checked, tmp_path):
    constants = _base(rule_id, constants, fund_constants)
    base, ctx = checked[constants]
    picked = _pick(ctx, rule_id, need_tol=Decimal("0.01"))
    if picked is None:
        pytest.skip(f"{rule_id}: every cell of it is in a relation whose envelope is 0.01 (a single rounded part)")
    inst, key, _ = picked
    cell = _mutate(constants, ctx, key, Decimal("0.01"), tmp_path / "m.xlsx")
    report = check(tmp_path / "m.xlsx")
    at = [f for f in report.findings if f.location == f"{cell.sheet}!{cell.a1}"]
    assert all(f.severity == "info" for f in at), [(f.rule, f.severity) for f in at]
    assert report.errors == 0
    hinted = [f for f in report.findings if f.severity == "info"
              and (f.rule == rule_id or any(r.startswith(rule_id) for r in f.relations))]
    base_at = [f for f in base.findings if f.location == f"{cell.sheet}!{cell.a1}"]
    assert hinted or base_at  # the hint is there, or the change cancelled a tail the cell already had


def test_shifted_block_is_one_shift_finding(constants, tmp_path):
    wb = openpyxl.load_workbook(constants)
    ws = wb["公开03表"]
    values = [ws[f"D{r}"].value for r in range(17, 24)]
    for i, r in enumerate(range(18, 25)):
        ws[f"D{r}"].value = values[i]
    ws["D17"].value = None
    wb.save(tmp_path / "shift.xlsx")
    report = check(tmp_path / "shift.xlsx")
    errors = _errors(report)
    assert [(f.rule, f.location) for f in errors] == [("S-03", "公开03表!D18")]
    assert "错位" in errors[0].message


def test_merged_cells_moved_and_labels_in_other_columns(constants, checked, tmp_path):
    """合计 typed in B (as some published tables print it) after unmerging A:B; a header merge undone."""
    base, _ = checked[constants]
    wb = openpyxl.load_workbook(constants)
    ws = wb["公开02表"]
    ws.unmerge_cells("A7:B7")
    ws["A7"].value, ws["B7"].value = None, "合计"
    ws.unmerge_cells("C4:C5")
    ws["C5"].value = ws["C4"].value
    ws["C4"].value = None
    wb.save(tmp_path / "moved.xlsx")
    report = check(tmp_path / "moved.xlsx")
    assert [(f.table, f.rule, f.severity) for f in report.findings] == \
        [(f.table, f.rule, f.severity) for f in base.findings]


# --- the 尾差 boundary -------------------------------------------------------------------------------


def test_envelope_boundary_of_classify():
    """A difference exactly equal to the envelope is a mismatch; anything short of it is a tail."""
    from juesuan.util.rounding import MISMATCH, OK, TAIL, classify, envelope

    for n in range(1, 8):
        edge = envelope(n)
        assert edge == (n + 1) * Decimal("0.005")
        assert classify(edge, n) == MISMATCH and classify(-edge, n) == MISMATCH
        assert classify(edge - Decimal("0.001"), n) == TAIL and classify(-(edge - Decimal("0.001")), n) == TAIL
        assert classify(Decimal("0.00"), n) == OK
    assert envelope(0) == envelope(1) == Decimal("0.010")  # a single part: the total and the part
    assert classify(Decimal("0.01"), 1) == MISMATCH and classify(Decimal("0.01"), 3) == TAIL


@pytest.mark.parametrize("delta, severity", [("0.02", "error"), ("-0.02", "error"), ("0.01", "info"),
                                             ("-0.01", "info")])
def test_difference_at_the_envelope_is_an_error_just_under_it_a_tail(constants, checked, tmp_path, delta, severity):
    """公开04表 F15 = G15 + H15 + I15 (R04-4): three parts, envelope (3 + 1) × 0.005 = 0.02 万元. Every other
    relation through F15 (R04-5, its column) has a wider envelope, so R04-4 alone decides."""
    from juesuan.util.rounding import envelope

    _, ctx = checked[constants]
    cell = next(c for c in ctx.cells.values() if (c.sheet, c.a1) == ("公开04表", "F15"))
    report = check(edit_cells(constants, tmp_path / "m.xlsx",
                              [("公开04表", "F15", float(cell.value + Decimal(delta)))]))
    at = [f for f in report.findings if f.location == "公开04表!F15"]
    assert [(f.rule, f.severity) for f in at] == [("R04-4", severity)]
    f = at[0]
    assert (f.difference, f.tolerance) == (Decimal(delta), envelope(3))
    assert f.actual == cell.value + Decimal(delta) and f.expected == cell.value
    assert report.errors == (1 if severity == "error" else 0)
