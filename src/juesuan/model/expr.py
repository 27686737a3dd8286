"""The notation of relations in the model (``T04[59,c] = T04[33..58,c] for c in 2..5``), parsed.

See the header of ``schemas/national-2024.yaml`` for the notation. Parsing is done once, when the
model is loaded, so a typo fails on load; instantiation on a layout is :mod:`juesuan.rules.instances`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from juesuan.errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    from juesuan.model.profile import Profile


def parse_int_set(spec: Any) -> list[int]:
    """``[9..26, 61..63]`` or ``"33..60,64"`` or ``5`` → a sorted list of ints."""
    items = spec if isinstance(spec, list) else str(spec).split(",")
    out: list[int] = []
    for item in items:
        text = str(item).strip()
        if ".." in text:
            a, b = text.split("..")
            out.extend(range(int(a), int(b) + 1))
        elif text:
            out.append(int(text))
    return sorted(set(out))


_REF = re.compile(r"(T\d\d)\[([^\]]+)\]")
_TOKEN = re.compile(r"\s*(T\d\d\[[^\]]+\]|<=|=|\+|-)")
_LOOP = re.compile(r"\s+for\s+(\w)\s+in\s+([\d.,\s]+?)(?=\s+for\s|\s*$)")


@dataclass(frozen=True)
class Ref:
    table: str  # T01
    row: str
    col: str | None


@dataclass(frozen=True)
class Expr:
    lhs: tuple[tuple[int, Ref], ...]
    op: str
    rhs: tuple[tuple[int, Ref], ...]
    loops: tuple[tuple[str, tuple[int, ...]], ...] = field(default=())


def parse_ref(text: str, profile: "Profile | None" = None, rule_id: str = "?") -> Ref:
    """Parse one cell reference such as ``T01[2..8]`` or ``T04[59,3]``."""
    m = _REF.fullmatch(text.strip())
    if not m:
        raise ModelError(f"规则 {rule_id} 的单元格引用无效：{text}")
    return _ref(m, text, profile, rule_id)


def _ref(m, tok: str, profile, rule_id: str) -> Ref:
    parts = [p.strip() for p in m.group(2).split(",")]
    if len(parts) > 2:
        raise ModelError(f"规则 {rule_id} 的单元格引用无效：{tok}")
    ref = Ref(m.group(1), parts[0], parts[1] if len(parts) == 2 else None)
    if profile is not None:
        try:
            profile.table(ref.table)
        except KeyError:
            raise ModelError(f"规则 {rule_id} 引用了不存在的表 {ref.table}") from None
    return ref


def parse_expr(text: str, profile: "Profile | None" = None, rule_id: str = "?") -> Expr:
    """Parse ``"T01[27] = T01[1..8]"`` (see the header of schemas/*.yaml for the notation)."""
    body = text
    loops = []
    m = re.search(r"\s+for\s", body)
    if m:
        tail = body[m.start():]
        body = body[: m.start()]
        for var, spec in _LOOP.findall(tail):
            loops.append((var, tuple(parse_int_set(spec.replace(" ", "")))))
        if not loops:
            raise ModelError(f"规则 {rule_id} 的循环写法无效：{text}")
    pos, sides, op = 0, [[]], None
    sign = 1
    while pos < len(body):
        tm = _TOKEN.match(body, pos)
        if not tm:
            if body[pos:].strip() == "":
                break
            raise ModelError(f"规则 {rule_id} 的表达式无法解析（位置 {pos}）：{text}")
        tok = tm.group(1)
        pos = tm.end()
        if tok in ("=", "<="):
            if op is not None:
                raise ModelError(f"规则 {rule_id} 的表达式有两个比较符：{text}")
            op = tok
            sides.append([])
            sign = 1
        elif tok in ("+", "-"):
            sign = 1 if tok == "+" else -1
        else:
            ref = _ref(_REF.fullmatch(tok), tok, profile, rule_id)
            sides[-1].append((sign, ref))
            sign = 1
    if op is None or len(sides) != 2 or not sides[0] or not sides[1]:
        raise ModelError(f"规则 {rule_id} 的表达式须为「左边 = 右边」：{text}")
    return Expr(tuple(sides[0]), op, tuple(sides[1]), tuple(loops))


