"""Names of the sheets juesuan adds to a workbook. They are never 公开 tables: the reader skips them."""

CHECK_SHEET = "校验"  # the live check sheet of a generated workbook (juesuan.livecheck)
RESULTS_SHEET = "校验结果"  # the findings of an annotated copy (juesuan.writeback)
STATE_SHEET = "juesuan_marks"  # very hidden: the original fills and notes under the marks
NARRATIVE_DATA_SHEET = "情况说明数据"  # the narrative's inputs the tables cannot give (juesuan.narrative)
NARRATIVE_SHEET = "情况说明"  # the narrative text written by `juesuan narrate`

TOOL_SHEETS = frozenset({CHECK_SHEET, RESULTS_SHEET, STATE_SHEET, NARRATIVE_DATA_SHEET, NARRATIVE_SHEET})
