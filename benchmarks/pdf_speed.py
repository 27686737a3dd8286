"""Speed of reading and checking a published PDF disclosure (issue 9): a department with enough 项 codes
that its nine tables print on about 30 pages, printed by LibreOffice (juesuan's own sheets left out),
then ``check`` (tables + the reading) timed. Run: ``python benchmarks/pdf_speed.py [codes]``."""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from juesuan.api import fill_workbook  # noqa: E402
from juesuan.read.pdf import read_document  # noqa: E402
from juesuan.util.atomic import save_workbook  # noqa: E402
from juesuan.validate.engine import check  # noqa: E402
from tests.test_pdf import published_copy, to_pdf  # noqa: E402


def main(n: int = 300) -> None:
    codes = [r["code"] for r in csv.DictReader((ROOT / "src/juesuan/catalog/functional.csv").open(encoding="utf-8"))
             if len(r["code"]) == 7][:n]
    data = {"部门": "某某市速度测试局", "年度": 2024,
            "公开02表": {"科目": [[int(c), None, None, round(1 + i * 0.37, 2), 0, 0, 0, 0, 0] for i, c in enumerate(codes)]},
            "公开03表": {"科目": [[int(c), None, None, round(1 + i * 0.37, 2), 0, 0, 0, 0] for i, c in enumerate(codes)]}}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "d.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        _, wb = fill_workbook(folder / "d.yaml")
        raw = save_workbook(wb, folder / "raw.xlsx")
        pdf = to_pdf([published_copy(raw, folder / "部门决算.xlsx")], folder)[0]
        import pdfplumber

        t = time.perf_counter()
        with pdfplumber.open(str(pdf)) as doc:  # the text layer alone: pdfminer's share of the reading
            for page in doc.pages:
                page.chars  # noqa: B018
        parse = time.perf_counter() - t
        t0 = time.perf_counter()
        doc = read_document(pdf)
        t1 = time.perf_counter()
        report = check(pdf)  # the document read above is reused: this is the rest of the check
        t2 = time.perf_counter()
        print(f"{doc.pages} 页，{len(doc.workbook.sheets)} 张表：读取 {t1 - t0:.2f} 秒（其中文字层解析 {parse:.2f} 秒）；"
              f"其余检查 {t2 - t1:.2f} 秒（{len(report.findings)} 条结果）")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
