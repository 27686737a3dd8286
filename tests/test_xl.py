"""The Excel add-in side, tested against a fake of the xlwings objects it uses (no Excel in CI)."""

from __future__ import annotations

import shutil

import pytest

from juesuan.validate.engine import check
from juesuan.writeback.marks import COLORS, RESULTS_SHEET, STATE_SHEET, STATUS_PREFIX, apply_marks
from juesuan.writeback.xl import XlwingsSurface, check_book, unprotected, write_vba_module

from .conftest import run_cli


class FakeNote:
    def __init__(self, rng, text):
        self.rng, self.text = rng, text

    def delete(self):
        _writable(self.rng.sheet)
        self.rng.sheet.notes.pop(self.rng.address, None)


class FakeFont:
    def __init__(self):
        self.bold, self.color = False, None


class FakeRangeApi:
    def __init__(self, rng):
        self.rng = rng

    def AddComment(self, text):  # noqa: N802 (Excel's name)
        _writable(self.rng.sheet)
        if self.rng.address in self.rng.sheet.notes:  # as Excel: a cell holds one note; AddComment on it fails
            raise RuntimeError("AddComment method of Range class failed")
        self.rng.sheet.notes[self.rng.address] = text


class FakeProtection:
    def __init__(self):
        self.AllowFormattingColumns, self.AllowFormattingRows = True, True  # as juesuan protects its sheets


class FakeSheetApi:
    """Excel's sheet protection: on a protected sheet, Excel refuses to change a cell through COM."""

    def __init__(self, password=None):
        self.ProtectContents, self.password, self.Protection = True, password, FakeProtection()  # noqa: N815
        self.calls = []

    def Unprotect(self, password=""):  # noqa: N802
        self.calls.append("Unprotect")
        if self.password and password != self.password:
            raise RuntimeError("The password you supplied is not correct.")
        self.ProtectContents = False

    def Protect(self, password="", AllowFormattingColumns=False, AllowFormattingRows=False):  # noqa: N802, N803
        self.calls.append("Protect")
        self.ProtectContents = True
        self.Protection.AllowFormattingColumns, self.Protection.AllowFormattingRows = \
            AllowFormattingColumns, AllowFormattingRows


def _writable(sheet):
    if sheet.api.ProtectContents:
        raise RuntimeError("The cell or chart you're trying to change is on a protected sheet.")


class FakeRange:
    def __init__(self, sheet, address):
        self.sheet, self.address = sheet, address
        self.api = FakeRangeApi(self)

    @property
    def value(self):
        return self.sheet.values.get(self.address)

    @value.setter
    def value(self, v):
        _writable(self.sheet)
        if isinstance(v, list):  # a 2-D block from here
            from openpyxl.utils import column_index_from_string, get_column_letter

            col0 = column_index_from_string(self.address.rstrip("0123456789"))
            row0 = int(self.address[len(self.address.rstrip("0123456789")):])
            for i, row in enumerate(v):
                for j, x in enumerate(row):
                    self.sheet.values[f"{get_column_letter(col0 + j)}{row0 + i}"] = x
        else:
            self.sheet.values[self.address] = v

    @property
    def color(self):
        return self.sheet.colors.get(self.address)

    @color.setter
    def color(self, c):
        _writable(self.sheet)
        if c is None:
            self.sheet.colors.pop(self.address, None)
        else:
            self.sheet.colors[self.address] = tuple(c)

    @property
    def note(self):
        text = self.sheet.notes.get(self.address)
        return None if text is None else FakeNote(self, text)

    @property
    def font(self):
        return self.sheet.fonts.setdefault(self.address, FakeFont())

    def add_hyperlink(self, address, text_to_display=None):
        self.sheet.links[self.address] = address


class FakeSheet:
    def __init__(self, book, name, protected=False):
        self.book, self.name = book, name
        self.api = FakeSheetApi()
        self.api.ProtectContents = protected
        self.values, self.colors, self.notes, self.fonts, self.links = {}, {}, {}, {}, {}
        self.visible = True

    def range(self, ref):
        if isinstance(ref, tuple):
            from openpyxl.utils import get_column_letter

            ref = f"{get_column_letter(ref[1])}{ref[0]}"
        return FakeRange(self, ref)

    def delete(self):
        self.book.sheets.items.remove(self)

    def activate(self):
        self.book.active = self.name


class FakeSheets:
    def __init__(self, book, names):
        self.book = book
        self.items = [FakeSheet(book, n, protected=True) for n in names]  # juesuan's sheets are protected

    def __iter__(self):
        return iter(list(self.items))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, key):
        if isinstance(key, int):
            return self.items[key]
        return next(s for s in self.items if s.name == key)

    def add(self, name, after=None):
        sheet = FakeSheet(self.book, name)
        self.items.append(sheet)
        return sheet


class FakeBookApi:
    def __init__(self, source):
        self.source, self.copies = source, []

    def SaveCopyAs(self, path):  # noqa: N802
        shutil.copy(self.source, path)
        self.copies.append(path)


class FakeBook:
    """The part of ``xlwings.Book`` juesuan uses."""

    def __init__(self, source, names):
        self.fullname = str(source)
        self.sheets = FakeSheets(self, names)
        self.api = FakeBookApi(source)
        self.active = None


@pytest.fixture(scope="module")
def published_xlsx(sample_xlsx):
    return sample_xlsx("published")


def _marks(book, surface, report):
    with unprotected(book, surface.sheet_names()):
        apply_marks(surface, report)


def _book(path):
    names = [f"公开0{i}表" for i in range(1, 10)] + ["校验"]
    return FakeBook(path, names)


def test_check_book_marks_the_open_workbook_without_saving_it(published_xlsx):
    book = _book(published_xlsx)
    report = check_book(book)
    assert report.errors == 10 and report.file == str(published_xlsx)
    s02 = book.sheets["公开02表"]
    assert s02.colors["A10"] == (0xFF, 0xC7, 0xCE)  # error red
    assert s02.notes["A10"].startswith("R02-4［错误］")
    assert s02.values["A2"].startswith(STATUS_PREFIX + "10 个错误")
    assert book.sheets["公开01表"].colors["F14"] == (0xDD, 0xEB, 0xF7)  # a tail: light blue
    res = book.sheets[RESULTS_SHEET]
    assert any(v == "级别" for v in res.values.values())
    assert "#'公开02表'!A10" in res.links.values()
    assert book.sheets[STATE_SHEET].visible is False
    assert book.active == RESULTS_SHEET


def test_same_marks_as_the_file_writer_and_replaced_on_a_second_run(published_xlsx):
    book = _book(published_xlsx)
    report = check(published_xlsx)
    surface = XlwingsSurface(book)
    _marks(book, surface, report)
    first = {name: dict(book.sheets[name].colors) for name in surface.sheet_names()}
    _marks(book, surface, report)
    second = {name: dict(book.sheets[name].colors) for name in surface.sheet_names()}
    assert first == second
    assert [s.name for s in book.sheets].count(RESULTS_SHEET) == 1
    marked = {(f.sheet, f.cell) for f in report.findings if f.cell}
    assert {(n, c) for n, cs in second.items() for c in cs} == marked
    # a clean check takes the marks away and puts back what was there
    book.sheets["公开02表"].colors["B5"] = (1, 2, 3)
    report.findings = []
    _marks(book, surface, report)
    assert all(not book.sheets[n].colors for n in surface.sheet_names() if n != "公开02表")
    assert book.sheets["公开02表"].colors == {"B5": (1, 2, 3)}
    assert RESULTS_SHEET not in surface.sheet_names() and STATE_SHEET not in surface.sheet_names()
    assert not any(isinstance(v, str) and v.startswith(STATUS_PREFIX) for s in book.sheets for v in s.values.values())


def test_vba_module_and_setup_steps(tmp_path):
    path = write_vba_module(tmp_path)
    text = path.read_bytes().decode("gbk")
    assert 'RunPython "import juesuan.writeback.xl; juesuan.writeback.xl.check_caller()"' in text and "\r\n" in text
    res = run_cli("excel-addin", "-o", tmp_path / "cli")
    assert res.returncode == 2 and "不存在" in res.stderr  # the folder must exist
    (tmp_path / "cli").mkdir()
    res = run_cli("excel-addin", "-o", tmp_path / "cli")
    assert res.returncode == 0 and "xlwings addin install" in res.stdout and "WPS" in res.stdout


def test_colors_match_the_file_writer():
    from juesuan.writeback.xl import _hex_to_rgb

    assert _hex_to_rgb(COLORS["error"]) == (255, 199, 206)


def test_running_again_replaces_each_note_and_keeps_the_users_own(published_xlsx):
    """set_note deletes the note a cell has before adding the new one (Excel refuses a second note)."""
    book = _book(published_xlsx)
    report = check(published_xlsx)
    s02 = book.sheets["公开02表"]
    s02.notes["A12"] = "会计：代码待核实"  # the user's own note on a cell that gets a mark
    surface = XlwingsSurface(book)
    _marks(book, surface, report)
    first = {name: dict(book.sheets[name].notes) for name in surface.sheet_names()}
    _marks(book, surface, report)
    second = {name: dict(book.sheets[name].notes) for name in surface.sheet_names()}
    assert first == second
    a10 = [f for f in report.findings if f.location == "公开02表!A10"]
    assert [f.rule for f in a10] == ["R02-4"]
    assert s02.notes["A10"].startswith("R02-4［错误］") and s02.notes["A10"].count("R02-4") == 1
    assert "原批注" not in s02.notes["A10"]
    assert s02.notes["A12"].startswith("R02-4［错误］")
    assert s02.notes["A12"].endswith("\n——原批注——\n会计：代码待核实") and s02.notes["A12"].count("原批注") == 1
    report.findings = []  # a clean check: every mark's note goes, the user's note comes back
    _marks(book, surface, report)
    assert s02.notes == {"A12": "会计：代码待核实"}
    assert all(not book.sheets[n].notes for n in surface.sheet_names() if n != "公开02表")


def test_protected_sheets_are_unprotected_for_the_marks_and_protected_again(published_xlsx):
    book = _book(published_xlsx)
    report = check_book(book)  # every table sheet is protected, as juesuan writes them: no refusal
    s02 = book.sheets["公开02表"]
    assert s02.colors["A10"] == (255, 199, 206) and s02.notes["A10"].startswith("R02-4")
    for sheet in book.sheets:
        if sheet.name in report.tables.values():
            assert sheet.api.ProtectContents and sheet.api.calls == ["Unprotect", "Protect"], sheet.name
            assert sheet.api.Protection.AllowFormattingColumns  # protected again as it was


def test_a_sheet_protected_with_a_password_is_refused_in_chinese(published_xlsx):
    from juesuan.errors import InputError

    book = _book(published_xlsx)
    book.sheets["公开03表"].api.password = "secret"
    with pytest.raises(InputError, match="设置了保护密码"):
        check_book(book)
    assert all(s.api.ProtectContents for s in book.sheets)  # what was unprotected is protected again
    assert not book.sheets["公开02表"].colors  # and nothing was written
