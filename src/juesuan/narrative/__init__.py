"""第三部分 情况说明: written from the workbook (:mod:`.compose`), and a written one checked against it
(:mod:`.check`). The structure and sentences are data: ``schemas/narrative/<profile>.yaml`` (:mod:`.spec`).
Figures come through the validator's reading of the workbook (:mod:`.figures`); what the tables cannot
give comes from the 情况说明数据 sheet (:mod:`.inputs`). Stage: after validate, before writeback."""
