"""The CLI run as a process: the happy paths and every bad argument (Chinese error, exit 2, nothing written)."""

from __future__ import annotations

import os
import stat

import openpyxl
import pytest

from .conftest import run_cli


def test_help_is_chinese_and_fast():
    res = run_cli("--help", fresh=True)  # a new interpreter: what a user waits for
    assert res.returncode == 0 and "template" in res.stdout and "生成空白" in res.stdout


def test_template_writes_workbook(tmp_path):
    out = tmp_path / "决算公开.xlsx"
    res = run_cli("template", "-o", out, "--dept", "某某局", "--year", "2024", "--codes", "2010101,2080501",
                  fresh=True)  # end to end in a new interpreter, as a user runs it
    assert res.returncode == 0, res.stderr
    assert str(out) in res.stdout
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [f"公开0{i}表" for i in range(1, 10)] + ["校验", "情况说明数据"]
    assert wb["公开02表"]["A8"].value == "201"


def test_template_refuses_to_overwrite_without_force_and_keeps_a_backup_with_it(tmp_path):
    out = tmp_path / "a.xlsx"
    out.write_bytes(b"user work")
    res = run_cli("template", "-o", out, "--dept", "某局", "--codes", "2010101")
    assert res.returncode == 2 and "已存在" in res.stderr and out.read_bytes() == b"user work"
    res = run_cli("template", "-o", out, "--dept", "某局", "--codes", "2010101", "--force")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "a.xlsx.bak").read_bytes() == b"user work"
    openpyxl.load_workbook(out)


@pytest.mark.parametrize("args, words", [
    (["--codes", "20603X"], ["20603X", "格式不正确"]),
    (["--codes", "20603"], ["20603", "7 位"]),
    (["--codes", "2019998"], ["2019998", "--codes 2019998=科目名称"]),
    (["--fund-codes", "2120801="], ["等号后缺少科目名称"]),
    (["--year", "24"], ["年度应是四位数字"]),
])
def test_bad_arguments_exit_2_with_chinese_message_and_write_nothing(tmp_path, args, words):
    out = tmp_path / "x.xlsx"
    res = run_cli("template", "-o", out, "--dept", "某局", *args)
    assert res.returncode == 2
    assert "错误" in res.stderr and all(w in res.stderr for w in words), res.stderr
    assert "Traceback" not in res.stderr
    assert list(tmp_path.iterdir()) == []


def test_missing_required_argument_is_chinese(tmp_path):
    res = run_cli("template", "--dept", "某局")
    assert res.returncode == 2 and "缺少必需的参数" in res.stderr


@pytest.mark.parametrize("target", ["no/such/dir/x.xlsx", "x.xls", "x.txt"])
def test_unwritable_output_paths(tmp_path, target):
    res = run_cli("template", "-o", tmp_path / target, "--dept", "某局", "--codes", "2010101")
    assert res.returncode == 2 and "错误" in res.stderr and "Traceback" not in res.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        res = run_cli("template", "-o", folder / "x.xlsx", "--dept", "某局", "--codes", "2010101")
        assert res.returncode == 2 and "无法写入" in res.stderr
    finally:
        folder.chmod(stat.S_IRWXU)


def test_fill_sample_and_demo(tmp_path, careful_path):
    out = tmp_path / "filled.xlsx"
    res = run_cli("fill", careful_path, "-o", out)
    assert res.returncode == 0, res.stderr
    assert openpyxl.load_workbook(out)["公开02表"]["D10"].value == 180
    res = run_cli("demo", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    files = sorted(p.name for p in (tmp_path / "juesuan-demo").iterdir())
    assert files == sorted(["空白表样.xlsx", "示例-按公开原样.xlsx", "示例-规范填报.xlsx",
                            "示例-按公开原样-检查报告.txt", "示例-按公开原样-检查报告.json",
                            "示例-规范填报-检查报告.txt", "示例-规范填报-检查报告.json",
                            "示例-按公开原样-已标注.xlsx", "示例-规范填报-已标注.xlsx"])
    assert "个错误" in res.stdout
    res = run_cli("demo", cwd=tmp_path)  # again: the same --force rule as every command, nothing written
    assert res.returncode == 2 and "--force" in res.stderr and len(list((tmp_path / "juesuan-demo").iterdir())) == 9


@pytest.mark.parametrize("content, words", [
    (None, ["不存在"]),
    ("部门: [unclosed", ["第 1 行", "YAML 格式错误"]),
    ("- just\n- a list\n", ["顶层"]),
    ("部门: 某局\n年度: 2024\n公开01表:\n  9: 5\n", ["第 4 行", "行次 9 是空行"]),
    ("部门: 某局\n年度: 2024\n公开01表:\n  61: 5\n", ["第 4 行", "没有行次「61」"]),
    ("部门: 某局\n年度: 2024\n公开09表: [1, 2]\n", ["第 3 行", "12 栏"]),
    ("部门: 某局\n年度: 2024\n公开06表:\n  30101: 1\n  39999x: 2\n", ["第 5 行", "39999x"]),
    ("部门: 某局\n年度: 2024\n公开03表:\n  科目:\n    - [2010101, null, 1, 2]\n", ["第 5 行", "6 栏"]),
    ("部门: 某局\n年度: 2024\n公开10表: {}\n", ["第 3 行", "公开10表"]),
    ("年度: 2024\n", ["部门"]),
    ("部门: 某局\n年度: 2024\n公开02表:\n  科目:\n    - [2019998, null, 1, 1, 0, 0, 0, 0, 0]\n",
     ["第 5 行", "2019998", "科目名称"]),
])
def test_bad_data_files(tmp_path, content, words):
    data = tmp_path / "data.yaml"
    if content is not None:
        data.write_text(content, encoding="utf-8")
    out = tmp_path / "out.xlsx"
    res = run_cli("fill", data, "-o", out)
    assert res.returncode == 2, res.stdout
    assert all(w in res.stderr for w in words), res.stderr
    assert "Traceback" not in res.stderr and not out.exists()


def test_bad_json_and_binary_data_files(tmp_path):
    bad = tmp_path / "d.json"
    bad.write_text('{"部门": "某局",\n "年度": 2024,\n}', encoding="utf-8")
    res = run_cli("fill", bad, "-o", tmp_path / "o.xlsx")
    assert res.returncode == 2 and "第 3 行" in res.stderr and "JSON" in res.stderr
    xlsx = tmp_path / "d.yaml"
    xlsx.write_bytes(b"PK\x03\x04\xff\xfe\x00binary")
    res = run_cli("fill", xlsx, "-o", tmp_path / "o.xlsx")
    assert res.returncode == 2 and "UTF-8" in res.stderr


def test_json_data_file_equals_yaml(tmp_path):
    """The data-file reader, through the API (the CLI's fill is under test above and below)."""
    from juesuan.api import fill_workbook

    data = tmp_path / "d.json"
    data.write_text('{"部门": "某局", "年度": 2024, "公开01表": {"1": 12.5}, '
                    '"公开05表": {"科目": [["2010101", null, null, 12.5, 0]]}}', encoding="utf-8")
    yaml_data = tmp_path / "d.yaml"
    yaml_data.write_text("部门: 某局\n年度: 2024\n公开01表: {1: 12.5}\n公开05表:\n  科目:\n    - [2010101, null, null, 12.5, 0]\n",
                         encoding="utf-8")
    from_json, wb = fill_workbook(data)
    from_yaml, _ = fill_workbook(yaml_data)
    assert from_json.values == from_yaml.values and from_json.warnings == from_yaml.warnings == []
    assert wb["公开01表"]["C7"].value == 12.5 and wb["公开05表"]["D10"].value == 12.5


def test_unparseable_amount_is_written_as_given_with_a_warning(tmp_path):
    data = tmp_path / "d.yaml"
    data.write_text("部门: 某局\n年度: 2024\n公开01表:\n  1: 一百\n  2: '1,234.50'\n  3: '—'\n  4: '１２．５'\n",
                    encoding="utf-8")
    res = run_cli("fill", data, "-o", tmp_path / "o.xlsx")
    assert res.returncode == 0, res.stderr
    assert "第 4 行" in res.stderr and "一百" in res.stderr
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx")["公开01表"]
    assert (ws["C7"].value, ws["C8"].value, ws["C9"].value, ws["C10"].value) == ("一百", 1234.5, None, 12.5)
