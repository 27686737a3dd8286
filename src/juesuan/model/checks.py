"""The check catalogue (``schemas/checks.yaml``): every built-in check, its parameters and its messages.

A finding stores a template id (``checks.usually_zero.nonzero``, ``frame_checks.code_format.cut``,
``relation.mismatch``) and its parameters; :func:`render` turns them into Chinese text at the edge
(text report, notes, 校验结果, the JSON ``message``). :func:`validate_rule` is what loading a profile
runs on every rule that names a check.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from juesuan.errors import ModelError
from juesuan.util.money import money

PARAM_SORTS = ("tables", "cells", "funds")


@dataclass(frozen=True)
class CheckDecl:
    """One declared check: its name, parameters (name → sort), messages, pandera checks it runs."""

    name: str
    params: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    frames: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class Catalogue:
    checks: dict[str, CheckDecl]
    frame_checks: dict[str, CheckDecl]
    templates: dict[str, str]  # template id → text
    notes: dict[str, str]


def _decl(name: str, raw: dict, where: str) -> CheckDecl:
    params = dict(raw.get("params") or {})
    for p, sort in params.items():
        if sort not in PARAM_SORTS:
            raise ModelError(f"checks.yaml：{where}.{name} 的参数 {p} 的类型「{sort}」无效（可用：{'、'.join(PARAM_SORTS)}）")
    return CheckDecl(name, params, dict(raw.get("messages") or {}), tuple(raw.get("frames") or ()),
                     bool(raw.get("required", False)))


def catalogue_from_dict(raw: dict) -> Catalogue:
    checks = {n: _decl(n, d or {}, "checks") for n, d in (raw.get("checks") or {}).items()}
    frame_checks = {n: _decl(n, d or {}, "frame_checks") for n, d in (raw.get("frame_checks") or {}).items()}
    templates = {f"relation.{k}": v for k, v in ((raw.get("relation") or {}).get("messages") or {}).items()}
    for group, decls in (("checks", checks), ("frame_checks", frame_checks)):
        for d in decls.values():
            templates.update({f"{group}.{d.name}.{k}": v for k, v in d.messages.items()})
    for d in checks.values():
        for fc in d.frames:
            if fc not in frame_checks:
                raise ModelError(f"checks.yaml：检查 {d.name} 引用了未声明的表格检查「{fc}」")
    return Catalogue(checks, frame_checks, templates, dict(raw.get("notes") or {}))


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The packaged check catalogue (compiled once per content of checks.yaml: :mod:`juesuan.util.cache`)."""
    from juesuan.model.yamlload import load_yaml, strip_lines
    from juesuan.util.cache import cached

    text = resources.files("juesuan.schemas").joinpath("checks.yaml").read_text(encoding="utf-8")
    return cached("checks", [text], lambda: catalogue_from_dict(strip_lines(load_yaml(text))))


def template_id(check: str, message: str, frame: bool = False) -> str:
    """The id of a declared message, or a ModelError if it is not declared (no check without text)."""
    tid = f"{'frame_checks' if frame else 'checks'}.{check}.{message}"
    if tid not in catalogue().templates:
        raise ModelError(f"检查 {check} 的消息「{message}」没有在 checks.yaml 中声明")
    return tid


# --------------------------------------------------------------------------------------------------
# Rendering


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, dict) and "template" in value:
            return render(value["template"], value.get("params") or {})
        if format_spec == "raw":
            return str(value)
        if isinstance(value, Decimal):
            return money(value)
        if isinstance(value, (list, tuple)):
            return "、".join(str(v) for v in value)
        return super().format_field("" if value is None else value, format_spec)


_FORMATTER = _Formatter()


def render(template: str, params: dict) -> str:
    """The Chinese text of a message template with its parameters."""
    text = catalogue().templates.get(template)
    if text is None:
        raise ModelError(f"消息模板「{template}」不存在")
    return _FORMATTER.vformat(text, (), params)


def note(name: str, **params) -> str:
    """A report note of the catalogue, rendered with ``params``."""
    text = catalogue().notes[name]
    return _FORMATTER.vformat(text, (), params) if params else text


# --------------------------------------------------------------------------------------------------
# Validating a rule against its check's declaration


def validate_rule(rule, profile, line: int | None = None) -> None:
    """Raise ModelError, naming the rule (and its line in the YAML), if ``rule.check`` is unknown or
    its parameters are missing or do not fit their sort."""
    from juesuan.model.expr import parse_ref

    at = f"（第 {line} 行）" if line else ""
    decl = catalogue().checks.get(rule.check)
    if decl is None:
        known = "、".join(sorted(catalogue().checks))
        raise ModelError(f"规则 {rule.id}{at} 的检查「{rule.check}」不存在（已声明的检查：{known}）")
    for name, sort in decl.params.items():
        value = rule.param(name)
        if value in (None, (), [], {}):
            raise ModelError(f"规则 {rule.id}{at} 的检查 {rule.check} 缺少参数 {name}")
        refs = []
        if sort == "tables":
            for tid in value:
                _table(profile, tid, rule, at)
        elif sort == "cells":
            refs = list(value)
        elif sort == "funds":
            for item in value:
                if not isinstance(item, dict) or not {"table", "fund", "money"} <= set(item):
                    raise ModelError(f"规则 {rule.id}{at} 的参数 funds 每项须有 table、fund、money")
                _table(profile, item["table"], rule, at)
                refs.extend(item["money"])
        for text in refs:
            ref = parse_ref(text, profile, rule.id)
            _table(profile, ref.table, rule, at)


def _table(profile, tid: str, rule, at: str) -> None:
    try:
        profile.table(tid)
    except KeyError:
        raise ModelError(f"规则 {rule.id}{at} 引用了不存在的表 {tid}") from None


def required_checks() -> list[str]:
    return [d.name for d in catalogue().checks.values() if d.required]
