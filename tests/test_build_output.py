"""Generated workbooks keep their content when the way they are built changes: the careful sample's fill
and a small template, dumped canonically (tests/bookdump.py) and compared line by line with the committed
dumps. After a deliberate change of output: ``python -m tests.bookdump --update`` and review the diff."""

from __future__ import annotations

import difflib

import pytest

from . import bookdump


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return bookdump.build(tmp_path_factory.mktemp("books"))


@pytest.mark.parametrize("name", ["careful", "template"])
def test_generated_workbook_content_is_unchanged(built, name):
    got, expected = bookdump.dump(built[name]), bookdump.read(name)
    if got != expected:
        diff = list(difflib.unified_diff(expected, got, "committed", "built", n=0, lineterm=""))
        pytest.fail(f"{name}: {len(diff)} diff lines\n" + "\n".join(line[:300] for line in diff[:40]))


def test_the_dump_sees_what_matters(built):
    """The dump is not blind: it holds the live formulas, the links, the validations, the colours."""
    lines = bookdump.read("careful")
    joined = "\n".join(lines)
    assert any(line.startswith("[公开01表] cell C33 f '=SUM(C7:C14)'") for line in lines)
    assert "link='公开01表'!C33" in joined
    assert "[公开02表] dv " in joined and "[公开02表] cf " in joined and "FFFFC7CE" in joined
    assert "[校验] protection sheet=True" in joined and "[校验] autofilter A" in joined
