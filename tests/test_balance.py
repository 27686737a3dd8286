"""舍位平衡: property-based tests over random 元 data sets of realistic shapes."""

from __future__ import annotations

import random
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from juesuan.api import _from_yuan
from juesuan.fill.balance import balance, ceil_cents, floor_cents, grand_total_keys, leaf_coefficients
from juesuan.render.workbook import build_workbook
from juesuan.util.atomic import save_workbook
from juesuan.catalog import default_catalog
from juesuan.validate.engine import check
from juesuan.fill.datafile import DataFile, fill_from_datafile
from juesuan.util.money import round_half_up
from juesuan.rules.graph import graph_of

from .conftest import libreoffice_input, run_cli

CATALOG = default_catalog(2024)
ITEMS = sorted(c for c, e in CATALOG.functional.items() if e.level == "项" and c[:3] in ("201", "206", "208", "210",
                                                                                        "215", "221"))
# (not 30212/30217/30231/31013: X-12 ties them to 09, which the random data does not respect)
ECON = ["30101", "30102", "30103", "30107", "30108", "30110", "30113", "30201", "30211", "30228", "30302",
        "30305"]


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    cuts = sorted(rng.randint(0, total) for _ in range(parts - 1))
    return [b - a for a, b in zip([0] + cuts, cuts + [total])]


def department(seed: int, shape: str) -> dict:
    """A random department in 元 (whole 分). shape: "general" (only 一般公共预算 money: every table is tied
    to every other), "mixed" (事业收入 too), or "two-way" (only 03 filled: one two-way table)."""
    rng = random.Random(seed)
    codes = sorted(rng.sample(ITEMS, rng.randint(2, 8)))
    basic = {c: rng.randint(0, 300_000_000) for c in codes}  # 分
    project = {c: rng.randint(0, 300_000_000) if rng.random() < 0.6 else 0 for c in codes}
    own = {c: rng.randint(0, 50_000_000) if shape == "mixed" and rng.random() < 0.5 else 0 for c in codes}
    y = lambda fen: Decimal(fen) / 100
    data = {"部门": "随机部门", "年度": 2024}
    data["公开03表"] = {"科目": [[c, None, None, y(basic[c]), y(project[c] + own[c]), 0, 0, 0] for c in codes]}
    if shape == "two-way":
        return data
    data["公开02表"] = {"科目": [[c, None, None, y(basic[c] + project[c]), 0, y(own[c]), 0, 0, 0] for c in codes]}
    data["公开05表"] = {"科目": [[c, None, None, y(basic[c]), y(project[c])] for c in codes]}
    general = sum(basic.values()) + sum(project.values())
    data["公开01表"] = {"1": y(general), "2": 0, "3": 0, "4": 0, "5": y(sum(own.values())), "6": 0, "7": 0, "8": 0,
                      "28": 0, "29": 0, "58": 0, "59": 0}
    data["公开04表"] = {"29": 0, "30": 0, "31": 0, "60": [None, 0, 0, 0]}
    econ = rng.sample(ECON, rng.randint(2, 6))
    data["公开06表"] = {c: y(v) for c, v in zip(econ, _split(sum(basic.values()), len(econ), rng))}
    budget = [rng.randint(0, 2_000_000) for _ in range(4)]
    spent = [rng.randint(0, b) for b in budget]
    data["公开09表"] = {"2": y(budget[0]), "4": y(budget[1]), "5": y(budget[2]), "6": y(budget[3]),
                      "8": y(spent[0]), "10": y(spent[1]), "11": y(spent[2]), "12": y(spent[3])}
    return data


def _filled(data, tmp_path=None):
    from pathlib import Path

    df = DataFile(Path("随机.yaml"), data)
    filled = fill_from_datafile(df)
    yuan = {k: v for k, v in filled.values.items()}
    return filled, yuan


def _published(layout, values, key):
    return sum((n * values.get(leaf, Decimal(0)) for leaf, n in leaf_coefficients(layout, key).items()), Decimal(0))


def _assert_properties(filled, yuan, result):
    layout = filled.layout
    truth = result.true_values
    # every published value, input or total, is its true value rounded down or up: never further
    for key in list(yuan) + list(graph_of(layout).definitions):
        if key not in truth:
            continue
        p = result.values.get(key, Decimal(0)) if key in yuan else _published(layout, result.values, key)
        assert floor_cents(truth[key]) <= p * 100 <= ceil_cents(truth[key]), (layout.a1(key), truth[key], p)
    # the grand totals are the ROUND_HALF_UP of their true totals
    for key in grand_total_keys(layout):
        assert _published(layout, result.values, key) == round_half_up(truth[key]), layout.a1(key)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**9))
def test_two_way_table_always_balances(seed):
    filled, yuan = _filled(department(seed, "two-way"))
    result = balance(filled.layout, yuan)
    _assert_properties(filled, yuan, result)
    assert result.unbalanced == []


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**9), shape=st.sampled_from(["general", "mixed"]))
def test_whole_workbook_balances_or_says_what_it_could_not(seed, shape):
    """Across tables a data set may admit no exact balance; then the result names each relation left
    unbalanced. How often that happens is counted in hypothesis's statistics
    (``pytest tests/test_balance.py --hypothesis-show-statistics``)."""
    filled, yuan = _filled(department(seed, shape))
    result = balance(filled.layout, yuan)
    _assert_properties(filled, yuan, result)
    event(f"{shape}: {'some relation left unbalanced' if result.unbalanced else 'balanced exactly'}")
    for item in result.unbalanced:  # each one is named: a rule id and what it says
        assert item[:1] in "RX" and "：" in item


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**9))
def test_balanced_workbook_checks_exactly(tmp_path, seed):
    """In the written workbook every relation holds exactly: no error, no tail, except the reported ones."""
    filled, _ = _filled(department(seed, "general"))
    filled = _from_yuan(filled, True)
    path = save_workbook(build_workbook(filled.layout, filled.values), tmp_path / "b.xlsx", force=True)
    report = check(path)
    unbalanced = {u.split("：")[0].split("（")[0] for u in filled.balance.unbalanced}
    bad = {rule for rule, status in report.rule_status.items() if status != "通过"}
    assert bad <= unbalanced, (bad, filled.balance.unbalanced)
    assert report.errors == 0


def test_plain_rounding_leaves_tails_that_check_reports_as_hints(tmp_path):
    filled, _ = _filled(department(7, "general"))
    plain = _from_yuan(filled, False)
    path = save_workbook(build_workbook(plain.layout, plain.values), tmp_path / "plain.xlsx")
    report = check(path)
    assert report.errors == 0
    filled2, _ = _filled(department(7, "general"))
    balanced = _from_yuan(filled2, True)
    path2 = save_workbook(build_workbook(balanced.layout, balanced.values), tmp_path / "balanced.xlsx")
    assert check(path2).count("info") <= report.count("info")


def _round_figures():
    rng = random.Random(42)
    figures = [Decimal(rng.randint(0, 10**9)) / 100 for _ in range(200)]
    return figures + [Decimal(x) for x in ("50.00", "150.00", "250.00", "12345.00", "26750.00", "-50.00", "-26750.00",
                                           "0.50", "49.99", "50.01")]


@libreoffice_input("round")
def _round_workbook(folder):
    wb = openpyxl.Workbook()
    ws = wb.active
    for i, y in enumerate(_round_figures(), start=1):
        ws.cell(row=i, column=1, value=float(y))
        ws.cell(row=i, column=2, value=f"=ROUND(A{i}/10000,2)")
    wb.save(folder / "round.xlsx")
    return folder / "round.xlsx"


@pytest.mark.libreoffice("round")
def test_plain_rounding_is_excels_round(lo):
    """Our ROUND_HALF_UP against LibreOffice's ROUND on the same 元 figures (half away from zero)."""
    figures = _round_figures()
    out = openpyxl.load_workbook(lo("round"), data_only=True).active
    for i, y in enumerate(figures, start=1):
        ours = round_half_up(y / 10000)
        assert Decimal(str(out.cell(row=i, column=2).value)).quantize(Decimal("0.01")) == ours, (y, ours)
    assert round_half_up(Decimal("250.00") / 10000) == Decimal("0.03")  # half away from zero; banker's gives 0.02
    assert round_half_up(Decimal("-250.00") / 10000) == Decimal("-0.03")


def test_cli_fill_in_yuan(tmp_path):
    import yaml

    data = department(3, "general")
    path = tmp_path / "元.yaml"
    path.write_text(yaml.safe_dump(_plain(data), allow_unicode=True), encoding="utf-8")
    res = run_cli("fill", path, "-o", tmp_path / "b.xlsx", "--unit", "元")
    assert res.returncode == 0, res.stderr
    assert "舍位平衡" in res.stdout
    res = run_cli("fill", path, "-o", tmp_path / "p.xlsx", "--unit", "元", "--balance", "off")
    assert res.returncode == 0 and "逐格四舍五入" in res.stdout
    assert check(tmp_path / "b.xlsx").errors == 0


def _plain(obj):
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    if isinstance(obj, Decimal):
        return float(obj)
    return obj


@pytest.mark.parametrize("shape", ["general", "mixed"])
def test_fixed_seeds_balance_exactly_across_tables(shape):
    """Seeds 12, 20 and 28 once left X-06 unbalanced while both 06 totals were forced to plain rounding."""
    for seed in range(40):
        filled, yuan = _filled(department(seed, shape))
        assert balance(filled.layout, yuan).unbalanced == [], (shape, seed)


def test_time_limit_without_a_solution_is_reported():
    """HiGHS stopped by the time limit before any solution: plain rounding, and the result says why."""
    filled, yuan = _filled(department(1, "general"))
    result = balance(filled.layout, yuan, time_limit=0)
    assert result.status == "time_limit"
    assert result.unbalanced == ["求解达到时间上限（0 秒）仍未得到平衡解：各填写单元格改为逐格四舍五入"]
    assert all(result.values[k] == round_half_up(result.true_values[k]) for k in yuan)


def _stopped_on_time_limit(monkeypatch):
    """Make HiGHS report its time limit while still returning the solution it found."""
    import scipy.optimize

    real = scipy.optimize.milp

    def milp(*args, **kwargs):
        res = real(*args, **kwargs)
        assert res.status == 0 and res.x is not None
        res.status, res.success = 1, False
        return res

    monkeypatch.setattr(scipy.optimize, "milp", milp)


def test_time_limit_with_a_feasible_solution_is_reported(monkeypatch):
    filled, yuan = _filled(department(3, "general"))
    optimal = balance(filled.layout, yuan)
    assert optimal.status == "optimal" and optimal.note == ""
    _stopped_on_time_limit(monkeypatch)
    result = balance(filled.layout, yuan)
    assert result.status == "time_limit"
    assert result.note == "求解达到时间上限（60 秒），结果可能不是最少改动的平衡解。"
    assert result.values == optimal.values  # the solution found is still used
    _assert_properties(filled, yuan, result)


def test_cli_fill_in_yuan_prints_the_time_limit(tmp_path, monkeypatch, capsys):
    import yaml

    from juesuan.cli.main import main

    path = tmp_path / "元.yaml"
    path.write_text(yaml.safe_dump(_plain(department(3, "general")), allow_unicode=True), encoding="utf-8")
    _stopped_on_time_limit(monkeypatch)
    assert main(["fill", str(path), "-o", str(tmp_path / "b.xlsx"), "--unit", "元"]) == 0
    assert "注意：求解达到时间上限（60 秒），结果可能不是最少改动的平衡解。" in capsys.readouterr().out


# --------------------------------------------------------------------------------------------------
# Data files: the profile is chosen before the tables are read (here for want of a test file of its own)


def _datafile(tmp_path, text):
    from juesuan.fill.datafile import read_datafile

    path = tmp_path / "d.yaml"
    path.write_text(text, encoding="utf-8")
    return read_datafile(path)


def test_profile_written_after_the_tables_is_used_for_them(tmp_path, monkeypatch):
    from pathlib import Path

    import juesuan.fill.datafile as datafile
    from juesuan.model.profile import load_profile, profile_from_text

    text = (Path(__file__).resolve().parents[1] / "schemas" / "national-2024.yaml").read_text(encoding="utf-8")
    assert text.count("number: 公开06表") == 1
    variant = profile_from_text(text.replace("number: 公开06表", "number: 公开六表"))
    monkeypatch.setattr(datafile, "load_profile", lambda name: variant if name == "variant" else load_profile(name))
    filled = fill_from_datafile(_datafile(tmp_path, "部门: 某局\n年度: 2024\n公开六表: {30101: 1.5}\n表样: variant\n"))
    assert filled.layout.profile is variant
    assert list(filled.values.values()) == [Decimal("1.5")]


def test_national_profile_written_last_still_works(tmp_path):
    body = "部门: 某局\n年度: 2024\n公开01表: {1: 12.5}\n公开09表: [1.2, 0, 1.2, 0, 1.2, 0, 0.85, 0, 0.85, 0, 0.85, 0]\n"
    plain_file = fill_from_datafile(_datafile(tmp_path, body))
    last = fill_from_datafile(_datafile(tmp_path, body + "表样: national-2024\n"))
    assert last.layout.profile.id == plain_file.layout.profile.id == "national-2024"
    assert last.values == plain_file.values and len(last.values) == 13


@pytest.mark.parametrize("text, line", [("部门: 某局\n年度: 2024\n公开01表: {1: 1}\n表样: 某省-2024\n", 4),
                                        ("表样: 某省-2024\n部门: 某局\n年度: 2024\n公开01表: {1: 1}\n", 1)],
                         ids=["written-last", "written-first"])
def test_unknown_profile_is_named_with_its_place(tmp_path, text, line):
    from juesuan.errors import DataFileError

    with pytest.raises(DataFileError) as err:
        fill_from_datafile(_datafile(tmp_path, text))
    from juesuan.model.profile import profile_names

    assert f"第 {line} 行（表样）：没有名为 某省-2024 的表样（可用：{', '.join(profile_names())}）" in str(err.value)
    assert "shanghai-2024" in str(err.value)


def test_every_kind_of_table_has_a_reader():
    from juesuan.fill.datafile import READERS
    from juesuan.layout.tables import TABLE_CLASSES

    assert set(READERS) == set(TABLE_CLASSES)


def test_a_le_relation_that_cannot_hold_is_relaxed_not_infeasible():
    from juesuan.fill.balance import Program

    prog = Program()
    x = prog.var(0.0, 0.0, 1.0, integer=True)
    plus, minus = prog.soft_le({x: 1.0}, -1.0)  # x ≤ −1 cannot hold for x in {0, 1}
    solution = prog.solve(time_limit=10)
    assert solution.x is not None and solution.x[minus] > 0.5 and solution.x[plus] < 0.5


def test_grand_totals_come_from_the_model(careful_path):
    from juesuan.fill.datafile import fill_from_datafile, read_datafile
    from juesuan.layout.keys import CellKey

    layout = fill_from_datafile(read_datafile(careful_path)).layout
    keys = set(grand_total_keys(layout))
    spec = layout.profile.table("09")
    assert spec.grand_totals == [1, 7]
    assert {CellKey(spec.id, 0, 1), CellKey(spec.id, 0, 7)} <= keys
    assert CellKey(spec.id, 0, 3) not in keys
