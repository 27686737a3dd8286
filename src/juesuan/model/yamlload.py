"""YAML of the model, parsed with libyaml's C loader where it is installed, every mapping knowing its line.

A mapping parsed here carries its 1-based line in the file under the key ``__line__``, so a model
error can name the line of the rule it is about.
"""

from __future__ import annotations

import yaml

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LINE = "__line__"


class _LineLoader(_Base):  # type: ignore[misc, valid-type]
    pass


def _mapping(loader, node, deep=False):
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_yaml(text: str):
    """Parse model YAML; every mapping gets its line under ``__line__``."""
    return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass


def line_of(mapping) -> int | None:
    return mapping.get(LINE) if isinstance(mapping, dict) else None


def strip_lines(value):
    """The same data without the ``__line__`` keys."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != LINE}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value
