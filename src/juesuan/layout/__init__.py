"""Layouts: the model's tables with one department's rows, and where every logical cell is."""

from juesuan.layout.keys import CellKey, Lookup, Term
from juesuan.layout.tables import TOTAL_ROW, CodeRow, TableLayout, new_table
from juesuan.layout.workbook import WorkbookLayout

__all__ = ["CellKey", "Lookup", "Term", "TOTAL_ROW", "CodeRow", "TableLayout", "new_table", "WorkbookLayout"]
