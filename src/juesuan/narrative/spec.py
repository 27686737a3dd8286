"""The narrative template of a profile (``schemas/narrative/<profile>.yaml``), loaded as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from juesuan.errors import ModelError
from juesuan.model.yamlload import load_yaml, strip_lines


@dataclass
class Section:
    key: str
    rule: str
    raw: dict

    def get(self, name, default=None):
        return self.raw.get(name, default)

    @property
    def subjects(self) -> dict[str, dict]:
        return self.raw.get("subjects") or {}

    @property
    def counts(self) -> dict[str, dict]:
        return self.raw.get("counts") or {}


@dataclass
class NarrativeSpec:
    profile: str
    raw: dict
    sections: list[Section] = field(default_factory=list)

    @property
    def phrases(self) -> dict[str, str]:
        return self.raw["phrases"]

    @property
    def figures(self) -> dict:
        return self.raw["figures"]

    @property
    def inputs(self) -> list[dict]:
        return self.raw.get("inputs") or []

    @property
    def item_inputs(self) -> list[dict]:
        return self.raw.get("item_inputs") or []

    @property
    def lists(self) -> dict:
        return self.raw.get("lists") or {}

    def placeholder(self, label: str) -> str:
        return self.raw["placeholder"].format(label=label)

    def input_label(self, key: str) -> str:
        return next((i["label"] for i in self.inputs if i["key"] == key), key)


def spec_from_dict(raw: dict) -> NarrativeSpec:
    spec = NarrativeSpec(raw["profile"], raw)
    for s in raw["sections"]:
        if "key" not in s or "rule" not in s:
            raise ModelError(f"情况说明模板 {raw['profile']}：每节须有 key 和 rule（{s}）")
        spec.sections.append(Section(s["key"], s["rule"], s))
    return spec


def merge(base: dict, child: dict) -> dict:
    """A template that ``extends`` another: its mappings (phrases, figures, lists) are the parent's
    with its own entries added or replacing them; everything else (title, inputs, sections …) is its
    own when it gives one, the parent's when it does not."""
    out = dict(base)
    for key, value in child.items():
        if key == "extends":
            continue
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = {**base[key], **value}
        else:
            out[key] = value
    return out


def _raw(profile: str, seen: tuple = ()) -> dict:
    folder = resources.files("juesuan.schemas").joinpath("narrative")
    path = folder.joinpath(f"{profile}.yaml")
    if not path.is_file():
        have = sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))
        raise ModelError(f"表样 {profile} 没有情况说明模板（有：{'、'.join(have)}）")
    raw = strip_lines(load_yaml(path.read_text(encoding="utf-8")))
    parent = raw.get("extends")
    if parent:
        if parent in seen:
            raise ModelError(f"情况说明模板 {profile} 的 extends 形成循环（{' → '.join(seen + (parent,))}）")
        raw = merge(_raw(parent, seen + (profile,)), raw)
    return raw


@lru_cache(maxsize=4)
def load_spec(profile: str = "national-2024") -> NarrativeSpec:
    """The narrative template of ``profile``; a ModelError naming the available ones if there is none."""
    return spec_from_dict(_raw(profile))
