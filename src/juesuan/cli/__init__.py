"""The ``juesuan`` command line."""

from juesuan.cli.main import main

__all__ = ["main"]
