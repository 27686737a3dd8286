"""YAML of the model, parsed with libyaml's C loader where it is installed, every mapping knowing its line.

A mapping parsed here carries its 1-based line in the file under the key ``__line__``, so a model
error can name the line of the rule it is about.
"""

from __future__ import annotations

from functools import lru_cache

LINE = "__line__"


@lru_cache(maxsize=1)
def _loader():
    """The loader class, made on first use: PyYAML is imported only when a model file is parsed
    (a cold check reads the compiled model from :mod:`juesuan.util.cache`)."""
    import yaml

    class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    def _mapping(loader, node, deep=False):
        mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
        mapping[LINE] = node.start_mark.line + 1
        return mapping

    _LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
    return _LineLoader


def load_yaml(text: str):
    """Parse model YAML; every mapping gets its line under ``__line__``."""
    import yaml

    return yaml.load(text, Loader=_loader())  # noqa: S506 - a SafeLoader subclass


def line_of(mapping) -> int | None:
    return mapping.get(LINE) if isinstance(mapping, dict) else None


def strip_lines(value):
    """The same data without the ``__line__`` keys."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != LINE}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value
