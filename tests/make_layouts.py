"""Write a few representative files of the layout corpus into tests/data/layouts/ for reviewers to open:
``python -m tests.make_layouts``. The tests generate the whole corpus at test time (tests/test_layouts.py);
these files are a sample of it, rebuilt by this script after a change to tests/layouts.py or tests/shanghai.py."""

from __future__ import annotations

import tempfile
from pathlib import Path

from juesuan.api import fill_workbook
from juesuan.util.atomic import save_workbook

from . import layouts as L
from .books import constants_copy
from .conftest import SAMPLES
from .shanghai import KNOWN_ERRORS, write_shanghai

OUT = Path(__file__).parent / "data" / "layouts"
SAMPLE = [("fund", "system_export"), ("careful", "yuan_text_one_sheet"), ("fund", "split_codes_sparse"),
          ("careful", "long_list_06"), ("fund", "interleaved_09"), ("careful", "contents_sheet")]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bases = {}
        for base in sorted({b for b, _ in SAMPLE}):
            _, wb = fill_workbook(SAMPLES[base])
            src = save_workbook(wb, Path(tmp) / f"{base}.xlsx")
            bases[base] = constants_copy(src, Path(tmp) / f"{base}-constants.xlsx")
        for base, habit in SAMPLE:
            print(L.relayout(bases[base], OUT / f"{base}-{habit}.xlsx", L.HABITS[habit]))
        print(L.relayout(bases["careful"], OUT / "careful-displaced_05_by_5.xlsx", L.displaced_05(5)))
    source = OUT / "shanghai-department.yaml"
    print(write_shanghai(source, OUT / "shanghai-department.xlsx"))
    print(write_shanghai(source, OUT / "shanghai-department-errors.xlsx", KNOWN_ERRORS))


if __name__ == "__main__":
    main()
