"""`juesuan check` as a process: exit codes, JSON, a folder of workbooks, an imported official catalog."""

from __future__ import annotations

import json
import os
import shutil

import openpyxl
import pytest


from .conftest import ROOT, run_cli


@pytest.fixture(scope="module")
def samples(sample_xlsx):
    return {name: sample_xlsx(name) for name in ("published", "careful")}


def test_exit_codes_and_text_report(samples):
    res = run_cli("check", samples["careful"], fresh=True)  # a new interpreter, as a user runs it
    assert res.returncode == 0, res.stderr
    assert "通过" in res.stdout and "0 个错误" in res.stdout
    res = run_cli("check", samples["published"])
    assert res.returncode == 1
    assert "【公开02表】" in res.stdout and "R02-4 公开02表!A10" in res.stdout
    section = res.stdout.split("【公开02表】", 1)[1].split("【", 1)[0]
    assert section.index("[错误]") < section.index("[提示]")  # errors first within a table


def test_json_report_schema(samples):
    res = run_cli("check", samples["published"], "--format", "json")
    data = json.loads(res.stdout)
    assert set(data) >= {"file", "department", "year", "valid", "counts", "tables", "findings"}
    assert data["valid"] is False and data["counts"]["error"] == 10
    f = next(x for x in data["findings"] if x["location"] == "公开01表!F14")
    assert (f["rule"], f["severity"], f["severity_cn"]) == ("X-04", "info", "提示")
    assert (f["expected"], f["actual"], f["difference"], f["tolerance"]) == (198.52, 198.53, 0.01, 0.02)
    assert set(f) >= {"sheet", "cell", "table", "code", "name", "message", "relations", "kind"}


def test_folder_of_workbooks(samples, tmp_path):
    folder = tmp_path / "各部门"
    folder.mkdir()
    for i in range(3):
        shutil.copy(samples["careful"], folder / f"部门{i}.xlsx")
    shutil.copy(samples["published"], folder / "工信局.xlsx")
    (folder / "说明.xlsx").write_text("not excel", encoding="utf-8")
    (folder / "~$部门0.xlsx").write_bytes(b"lock file")
    out = tmp_path / "报告"
    res = run_cli("check", folder, "-o", out, "--workers", "2")
    assert res.returncode == 1, res.stderr
    assert "共 5 个文件：3 个通过，2 个未通过或无法读取" in res.stdout
    wb = openpyxl.load_workbook(out / "juesuan-检查结果.xlsx")
    summary = {r[0]: r[3] for r in wb["按文件汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary == {"部门0.xlsx": "通过", "部门1.xlsx": "通过", "部门2.xlsx": "通过", "工信局.xlsx": "未通过",
                       "说明.xlsx": "无法读取"}
    rows = list(wb["全部问题"].iter_rows(min_row=2, values_only=True))
    assert {r[0] for r in rows} == {"部门0.xlsx", "部门1.xlsx", "部门2.xlsx", "工信局.xlsx"}
    assert any(r[0] == "工信局.xlsx" and r[3] == "公开02表!A10" and r[4] == "R02-4" for r in rows)
    data = json.loads((out / "juesuan-检查结果.json").read_text(encoding="utf-8"))
    assert data["summary"]["files"] == 5 and data["summary"]["unreadable"] == 1


def test_empty_folder_is_exit_2(tmp_path):
    res = run_cli("check", tmp_path)
    assert res.returncode == 2 and "没有 Excel 工作簿" in res.stderr


def official_catalog_xlsx(path, year=2024, drop=(), columns="code"):
    """An official-looking 政府收支分类科目 file: the bundled catalog's codes and names (all 类, hundreds
    of codes), as 科目编码/科目名称 columns or as 类/款/项 columns, with the economic 类/款 after it."""
    from juesuan.catalog import default_catalog

    cat = default_catalog(year)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([f"{year}年政府收支分类科目（支出功能分类）"])
    rows = [(c, e.name) for c, e in sorted(cat.functional.items()) if c not in drop]
    rows += [(c, e.name) for c, e in sorted(cat.economic.items())]
    if columns == "code":
        ws.append(["科目编码", "科目名称"])
        for code, name in rows:
            ws.append([code, name])
    else:
        ws.append(["类", "款", "项", "科目名称"])
        for code, name in rows:
            ws.append([code if len(code) == 3 else None, code[3:5] if len(code) == 5 else None,
                       code[5:] if len(code) == 7 else None, name])
    wb.save(path)
    return path


def test_official_catalog_import_makes_unknown_codes_errors(samples, tmp_path):
    official = official_catalog_xlsx(tmp_path / "2024年政府收支分类科目.xlsx", drop={"2080505"})  # left out on purpose
    env_dir = tmp_path / "data"
    os.environ["JUESUAN_DATA_DIR"] = str(env_dir)
    try:
        res = run_cli("catalog", "import", official)
        assert res.returncode == 0, res.stderr
        assert "2024 版" in res.stdout and "功能分类 756 个代码" in res.stdout
        res = run_cli("check", samples["careful"], "--format", "json")
        assert res.returncode == 1
        data = json.loads(res.stdout)
        errors = [(f["location"], f["rule"]) for f in data["findings"] if f["severity"] == "error"]
        assert ("公开03表!A18", "R02-4") in errors  # 2080505 is not in the official file
        assert "已导入的官方分类科目" in data["catalog"]
    finally:
        del os.environ["JUESUAN_DATA_DIR"]
    res = run_cli("check", samples["careful"])
    assert res.returncode == 0  # without the imported catalog: the bundled one, no error


def test_catalog_import_of_lei_kuan_xiang_columns(tmp_path):
    official = official_catalog_xlsx(tmp_path / "科目.xlsx", 2025, columns="lkx")
    os.environ["JUESUAN_DATA_DIR"] = str(tmp_path / "data")
    try:
        res = run_cli("catalog", "import", official, "--edition", "2025")
        assert res.returncode == 0, res.stderr
        text = (tmp_path / "data" / "catalog" / "functional-2025.csv").read_text(encoding="utf-8")
        assert "2010102" in text and "20101" in text
        econ = (tmp_path / "data" / "catalog" / "economic-2025.csv").read_text(encoding="utf-8")
        assert "30101" in econ
        res = run_cli("catalog", "show")
        assert "已导入的官方分类科目 2025 版" in res.stdout
    finally:
        del os.environ["JUESUAN_DATA_DIR"]


def test_catalog_import_of_a_file_without_codes(tmp_path):
    bad = tmp_path / "x.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "工资"])
    wb.save(bad)
    res = run_cli("catalog", "import", bad, "--edition", "2025")
    assert res.returncode == 2 and "没有找到分类科目" in res.stderr
