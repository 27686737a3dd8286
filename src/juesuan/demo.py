"""``juesuan demo``: the main job on the bundled sample department, with no argument at all."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from juesuan.api import build_template, fill_workbook
from juesuan.util.atomic import save_workbook
from juesuan.fill.datafile import print_warnings

SAMPLES = {
    "published": "sample-published.yaml",
    "careful": "sample-careful.yaml",
}


def sample_path(which: str) -> Path:
    """The path of a bundled sample data file (``published`` or ``careful``)."""
    return Path(str(resources.files("juesuan.samples").joinpath(SAMPLES[which])))


DEMO_FILES = ["空白表样.xlsx", "示例-规范填报.xlsx", "示例-按公开原样.xlsx", "示例-按公开原样-检查报告.txt",
              "示例-按公开原样-检查报告.json", "示例-按公开原样-已标注.xlsx", "示例-规范填报-检查报告.txt",
              "示例-规范填报-检查报告.json", "示例-规范填报-已标注.xlsx"]


def run_demo(out_dir: Path, force: bool = False) -> dict[str, Path]:
    """Write the blank template and the two filled sample workbooks into ``out_dir``. Files already
    there are replaced only with ``force`` (kept as .bak); without it nothing is written."""
    from juesuan.errors import OutputError
    from juesuan.util.atomic import write_text

    there = [n for n in DEMO_FILES if (out_dir / n).exists()]
    if there and not force:
        raise OutputError(f"文件夹「{out_dir}」中已有示例文件（{'、'.join(there[:3])}{' 等' if len(there) > 3 else ''}），"
                          "未覆盖。换一个文件夹（-o），或加 --force 覆盖（原文件保留为 .bak 备份）。")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    careful, wb = fill_workbook(sample_path("careful"))
    print_warnings(careful.warnings)
    layout = careful.layout
    codes = sorted({r.code for t in layout.tables_of("coded")
                    for r in t.rows[1:] if len(r.code) == 7})
    _, blank = build_template(layout.department, layout.year, codes=codes)
    written["template"] = save_workbook(blank, out_dir / "空白表样.xlsx", force=force)
    written["careful"] = save_workbook(wb, out_dir / "示例-规范填报.xlsx", force=force)
    published, wb2 = fill_workbook(sample_path("published"))
    print_warnings(published.warnings)
    written["published"] = save_workbook(wb2, out_dir / "示例-按公开原样.xlsx", force=force)
    from juesuan.validate.engine import check
    from juesuan.validate.report import counts_text
    from juesuan.writeback.text import render_text

    for which in ("published", "careful"):
        report = check(written[which])
        name = "示例-按公开原样-检查报告" if which == "published" else "示例-规范填报-检查报告"
        write_text(out_dir / f"{name}.txt", render_text(report) + "\n", force=force, backup=True)
        write_text(out_dir / f"{name}.json", report.to_json() + "\n", force=force, backup=True)
        written[which + "-report"] = out_dir / f"{name}.txt"
        from juesuan.writeback.marks import annotate_file

        marked = out_dir / ("示例-按公开原样-已标注.xlsx" if which == "published" else "示例-规范填报-已标注.xlsx")
        annotate_file(written[which], marked, report, force=force)
        written[which + "-annotated"] = marked
        written[which + "-counts"] = report.counts
    print(f"示例部门：{layout.department}（{layout.year} 年度）")
    print(f"  空白表样            {written['template']}")
    print(f"  规范填报的工作簿    {written['careful']}")
    print(f"  按公开原样的工作簿  {written['published']}")
    print(f"  按公开原样的检查报告 {written['published-report']}（{counts_text(written['published-counts'])}）")
    print(f"  按公开原样的标注副本 {written['published-annotated']}（问题单元格已着色、加批注，见“校验结果”工作表）")
    print(f"  规范填报的检查报告  {written['careful-report']}（{counts_text(written['careful-counts'])}）")
    print("用 Excel、WPS 或 LibreOffice 打开即可：合计、类、款行均为公式，黄色单元格可填写。")
    print("检查自己的工作簿：juesuan check 文件.xlsx")
    return written
