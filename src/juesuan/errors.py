"""Exceptions of juesuan.

The tree::

    JuesuanError                 a problem the user can fix; the CLI prints its Chinese message, exit 2
    ├── InputError               a bad argument, data file or workbook (names the file and place)
    │   ├── CodeError            a malformed 科目代码, or a code with no name from catalog or user
    │   └── DataFileError        a data file that cannot be read or has a value with no place
    ├── OutputError              an output path that cannot be written (nothing is written)
    └── ModelError               a table model (schemas/*.yaml) that is inconsistent

Findings of the validator are data, not exceptions; exceptions are for input that cannot be used.
"""


class JuesuanError(Exception):
    """A problem the user can fix. ``str(err)`` is a Chinese message."""

    exit_code = 2


class InputError(JuesuanError):
    """Bad input: an argument, a data file or a workbook."""


class CodeError(InputError):
    """A malformed 科目代码, or a code whose name neither the catalog nor the user supplies."""


class DataFileError(InputError):
    """A data file that cannot be read, or a value that has no place in the layout."""


class OutputError(JuesuanError):
    """An output that cannot be written."""


class ModelError(JuesuanError):
    """A table model that is inconsistent (a bug in a schemas/*.yaml file)."""
