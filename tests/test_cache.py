"""The compiled-model cache (juesuan.util.cache): content-keyed, never trusted blindly, never required."""

from __future__ import annotations

import pickle

from juesuan.util import cache


def test_an_entry_is_used_only_for_the_same_content(tmp_path, monkeypatch):
    monkeypatch.setenv("JUESUAN_CACHE_DIR", str(tmp_path))
    built = []

    def build(text):
        built.append(text)
        return {"parsed": text.upper()}

    assert cache.cached("model", ["a: 1"], lambda: build("a: 1")) == {"parsed": "A: 1"}
    assert cache.cached("model", ["a: 1"], lambda: build("a: 1")) == {"parsed": "A: 1"}
    assert built == ["a: 1"], "the second call must come from the cache"
    # the file changed: built afresh, and the stale entry is gone
    assert cache.cached("model", ["a: 2"], lambda: build("a: 2")) == {"parsed": "A: 2"}
    assert built == ["a: 1", "a: 2"]
    assert len(list(tmp_path.glob("model-*.pickle"))) == 1


def test_a_damaged_or_foreign_entry_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("JUESUAN_CACHE_DIR", str(tmp_path))
    cache.cached("model", ["x"], lambda: 1)
    (entry,) = tmp_path.glob("model-*.pickle")
    entry.write_bytes(b"not a pickle at all")
    assert cache.cached("model", ["x"], lambda: 2) == 2
    # an entry whose stored key is another content's (a renamed file) is not believed either
    key = cache.content_key(["y"])
    entry = next(tmp_path.glob("model-*.pickle"))
    entry.write_bytes(b"juesuan-cache-1" + pickle.dumps((key, "other content")))
    assert cache.cached("model", ["x"], lambda: 3) == 3


def test_off_and_unwritable(tmp_path, monkeypatch):
    monkeypatch.setenv("JUESUAN_CACHE_DIR", "off")
    assert cache.cache_dir() is None
    assert cache.cached("model", ["x"], lambda: 5) == 5
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("JUESUAN_CACHE_DIR", str(blocker / "cache"))
    assert cache.cached("model", ["x"], lambda: 6) == 6  # cannot be written: only costs time


def test_the_cached_profile_equals_the_parsed_one(tmp_path, monkeypatch):
    from juesuan.model import profile as prof

    monkeypatch.setenv("JUESUAN_CACHE_DIR", str(tmp_path))
    prof.load_profile.cache_clear()
    try:
        first = prof.load_profile("shanghai-2024")  # parsed, and stored
        prof.load_profile.cache_clear()
        second = prof.load_profile("shanghai-2024")  # from the cache
        parsed = prof.profile_from_text(prof._schema_text("shanghai-2024"))
    finally:
        prof.load_profile.cache_clear()
    assert list(tmp_path.glob("profile-shanghai-2024-*.pickle"))
    assert second is not first
    for p in (first, second):
        assert [t.id for t in p.tables] == [t.id for t in parsed.tables]
        assert [(r.id, [x.expr for x in r.relations]) for r in p.rules] == \
            [(r.id, [x.expr for x in r.relations]) for r in parsed.rules]
        assert p.reading == parsed.reading


def test_workbooks_of_one_template_share_work_but_not_findings(tmp_path):
    """What is kept per shape and per placement (instances, model formulas, the cells a relation's
    terms find, the plan of judged relations) is shared by the workbooks it fits and no other: a
    folder of one template with rows moved, a table missing and amounts changed gives each file the
    report it gets checked with nothing remembered."""
    import openpyxl

    from juesuan.api import fill_workbook
    from juesuan.demo import sample_path
    from juesuan.layout import workbook
    from juesuan.util.atomic import save_workbook
    from juesuan.validate.engine import check

    files = {}
    for name in ("careful", "published"):
        _, wb = fill_workbook(sample_path(name))
        files[name] = save_workbook(wb, tmp_path / f"{name}.xlsx", force=True)
    edits = {
        "changed": lambda wb: wb["公开03表"].cell(12, 4, 123.45),  # one amount
        "moved": lambda wb: wb["公开05表"].insert_rows(10),  # every row below moves down
        "no07": lambda wb: wb.remove(wb["公开07表"]),  # a table the relations name is missing
        "moved01": lambda wb: wb["公开01表"].insert_rows(8, 2),
    }
    for name, edit in edits.items():
        wb = openpyxl.load_workbook(files["careful"])
        edit(wb)
        wb.save(tmp_path / f"{name}.xlsx")
        files[name] = tmp_path / f"{name}.xlsx"
    order = ["careful", "moved", "changed", "no07", "careful", "published", "moved01", "moved", "no07", "changed"]
    shared = [check(files[n]).to_dict() for n in order]
    alone = []
    for n in order:
        workbook._SHAPES.clear()
        workbook._PLACEMENTS.clear()
        alone.append(check(files[n]).to_dict())
    assert shared == alone
    # the edits did change what was found: the shared work was really shared across different files
    assert len({str(r["findings"]) for r in alone}) >= 4
