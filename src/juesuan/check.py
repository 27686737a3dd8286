"""``juesuan.check``: the documented place of the validator's API.

    >>> from juesuan.check import check
    >>> report = check("决算公开.xlsx")          # doctest: +SKIP
    >>> report.valid, report.flat()[:3]         # doctest: +SKIP

The work is done in :mod:`juesuan.validate`; this module only names it.
"""

from juesuan.validate.engine import check, check_many, load

__all__ = ["check", "check_many", "load"]
