"""``juesuan narrate``: the 第三部分 情况说明 written from the workbook's figures, sentence by sentence
as the profile's narrative template gives them. Amounts as the tables print them (2 decimals), every
share and rate computed from those printed amounts (ROUND_HALF_UP, never adjusted to add to 100.00),
no rate over a zero base, direction words from the sign, lists from the tables' non-zero rows. What
is missing becomes a visible placeholder, listed in :attr:`Narrative.missing`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from juesuan.util.money import money, round_half_up

from .figures import Figures
from .spec import Section

_FIELD = re.compile(r"\{([^{}|]+)(?:\|([^{}]+))?\}")
HUNDRED = Decimal(100)


def rate(num: Decimal, den: Decimal) -> Decimal:
    """A percentage of two printed amounts, ROUND_HALF_UP to 2 decimals (den ≠ 0)."""
    return round_half_up(num / den * HUNDRED)


@dataclass
class Part:
    """One section of the written narrative: its key, headings and paragraphs."""

    key: str
    headings: list[str]
    paragraphs: list[str]


@dataclass
class Narrative:
    title: str
    parts: list[Part]
    missing: list[str] = field(default_factory=list)  # labels of the placeholders, in order

    def lines(self) -> list[tuple[str, str]]:
        """(kind, text): ``title`` / ``heading`` / ``para`` in reading order."""
        out = [("title", self.title)]
        for p in self.parts:
            out += [("heading", h) for h in p.headings] + [("para", t) for t in p.paragraphs]
        return out

    def text(self) -> str:
        return "\n\n".join(t for _, t in self.lines()) + "\n"

    def markdown(self) -> str:
        marks = {"title": "# ", "heading": "## ", "para": ""}
        return "\n\n".join(marks[k] + t for k, t in self.lines()) + "\n"


class _Writer:
    def __init__(self, fig: Figures):
        self.fig = fig
        self.ph = fig.spec.phrases
        self.missing: list[str] = []
        self.section: Section | None = None

    def placeholder(self, label: str) -> str:
        if label not in self.missing:
            self.missing.append(label)
        return self.fig.spec.placeholder(label)

    # --- values ------------------------------------------------------------------------------------

    def subject(self, name: str) -> dict:
        return (self.section.subjects.get(name) if self.section else None) or {}

    def amount(self, name: str) -> Decimal | None:
        sub = self.subject(name)
        v = self.fig.value(sub.get("figure", name))
        if v is not None:
            return v
        v = self.fig.input(sub.get("input", name))
        if isinstance(v, Decimal):
            return v
        for s in (self.section.get("sums") or []) if self.section else []:
            if s["total"] == name:
                parts = [self.amount(p) for p in s["parts"]]
                if all(p is not None for p in parts):
                    return sum(parts, Decimal(0))
        return None

    def budget(self, name: str) -> Decimal | None:
        key = self.subject(name).get("budget")
        if key is None:
            return None
        v = self.fig.value(key)
        return v if v is not None else self.fig.input(key)

    def label(self, key: str) -> str:
        return self.fig.spec.input_label(key)

    # --- fields ------------------------------------------------------------------------------------

    def years(self) -> dict:
        return {"年度": str(self.fig.year), "上年": str(self.fig.year - 1), "部门": self.fig.department}

    def phrase(self, key: str, **params) -> str:
        return self.ph[key].format(**self.years(), **params)

    def field(self, name: str, op: str | None) -> str:
        if name in ("年度", "上年"):
            return self.years()[name]
        if name == "部门":
            return self.fig.department or self.placeholder("部门名称")
        if op is None:
            return self.plain(name)
        return getattr(self, "op_" + {"占": "share", "同比": "yoy", "原因": "reason", "预算": "budget_text",
                                      "完成": "completion", "差异": "difference", "列表": "listing"}[op])(name)

    def plain(self, name: str) -> str:
        if self._kind(name) == "count" and isinstance(self.fig.input(name), Decimal):
            return str(int(self.fig.input(name)))
        v = self.amount(name)
        if v is not None:
            return money(v)
        raw = self.fig.input(name)
        if raw is not None:
            return str(int(raw)) if isinstance(raw, Decimal) and self._kind(name) == "count" else str(raw)
        return self.placeholder(self.label(name))

    def _kind(self, key: str) -> str:
        return next((i.get("kind", "amount") for i in self.fig.spec.inputs if i["key"] == key), "amount")

    def share_of(self, num: Decimal | None, words: str) -> str:
        den = self.amount(self.section.get("share_of"))
        if num is None or den is None:
            return words + self.placeholder("占比（" + words + "）") + "%"
        if den == 0:
            return self.phrase("share_zero")
        return self.phrase("share", words=words, 率=money(rate(num, den)))

    def op_share(self, name: str) -> str:
        return self.share_of(self.amount(name), self.subject(name).get("share_words", "占"))

    def subject_words(self, name: str) -> str:
        return (self.subject(name).get("words") or [name])[0]

    def op_yoy(self, name: str) -> str:
        sub, now = self.subject(name), self.amount(name)
        prior = self.fig.input(sub.get("prior", ""))
        words, form = self.subject_words(name), sub.get("yoy", "yoy")  # the phrase family (yoy, yoy_bi …)
        if prior is None or now is None:
            return self.phrase(form + "_missing", subject=words,
                               placeholder=self.placeholder(self.label(sub.get("prior", name))))
        delta = now - prior
        if delta == 0:
            return self.phrase(form + "_flat", subject=words)
        if prior == 0:
            return self.phrase(form + "_new", subject=words, 差额=money(delta))
        up = delta > 0
        return self.phrase(form, subject=words, 增减="增加" if up else "减少", 差额=money(abs(delta)),
                           升降="增长" if up else "下降", 率=money(rate(abs(delta), prior)))

    def op_reason(self, name: str) -> str:
        sub = self.subject(name)
        prior, now = self.fig.input(sub.get("prior", "")), self.amount(name)
        if prior is not None and now is not None and prior == now:
            return ""
        reason = self.fig.input(sub.get("reason", ""))
        more = "增减" if prior is None or now is None else "增加" if now > prior else "减少"
        return self.phrase(sub.get("reason_phrase", "reason"), subject=self.subject_words(name), 增减=more,
                           reason=reason or self.placeholder(self.label(sub.get("reason", name))))

    def op_budget_text(self, name: str) -> str:
        b = self.budget(name)
        return money(b) if b is not None else self.placeholder(self.label(self.subject(name).get("budget", name)))

    def completion(self, actual: Decimal | None, budget: Decimal | None, base: str, budget_label: str) -> str:
        if budget is None:
            return f"完成{base}的" + self.placeholder(budget_label) + "%"
        if budget == 0:
            return self.phrase("completion_zero", base_short=base.replace("预算", ""))
        return self.phrase("completion", base=base, 率=money(rate(actual or Decimal(0), budget)))

    def op_completion(self, name: str) -> str:
        sub = self.subject(name)
        return self.completion(self.amount(name), self.budget(name), sub.get("base", "预算"),
                               self.label(sub.get("budget", name)))

    def difference(self, actual, budget, base: str, reason, reason_label: str) -> str:
        if budget is not None and actual == budget:
            return self.phrase("same", base=base)
        more = "" if budget is None or actual is None else "大于" if actual > budget else "小于"
        if not more and "{大小}" in self.ph["differs"]:
            more = self.placeholder("决算数大于或小于预算数")
        return self.phrase("differs", base=base, 大小=more, reason=reason or self.placeholder(reason_label))

    def op_difference(self, name: str) -> str:
        sub = self.subject(name)
        return self.difference(self.amount(name), self.budget(name), sub.get("differs_base", sub.get("base", "预算")),
                               self.fig.input(sub.get("reason", "")), self.label(sub.get("reason", name)))

    def op_listing(self, name: str) -> str:
        names = [n for _, n, _ in self.fig.econ(self.subject(name).get("list", name))]
        return self.ph["list_sep"].join(names) if names else self.ph["none_listed"]

    def fill(self, template: str, extra: dict | None = None) -> str:
        extra = extra or {}
        return _FIELD.sub(lambda m: extra[m.group(1)] if m.group(1) in extra and not m.group(2)
                          else self.field(m.group(1), m.group(2)), template)


# --------------------------------------------------------------------------------------------------
# Sections


def _class_list(w: _Writer, conf: dict) -> str:
    rows = [r for r in w.fig.classes if r.value != 0]
    parts = [w.fill(conf["item"], {"名称": r.name, "金额": money(r.value), "占": w.share_of(r.value, "占")})
             for r in rows]
    return conf.get("sep", "；").join(parts) if parts else w.ph["none_listed"]


def _subject_list(w: _Writer, conf: dict) -> str:
    """The listed subjects that are not zero, in the template's order (“不涉及的不列”)."""
    parts = []
    for name in conf["names"]:
        v = w.amount(name)
        if v is None or v != 0:
            parts.append(w.fill(conf["item"], {"名称": w.subject_words(name), "金额": w.plain(name),
                                               "占": w.op_share(name)}))
    return conf.get("sep", "；").join(parts) if parts else w.ph["none_listed"]


def _item_paragraphs(w: _Writer, conf: dict) -> list[str]:
    out = []
    sub = w.section.subjects
    base = conf.get("base") or next((s.get("base") for s in sub.values() if s.get("base")), "年初预算")
    for n, r in enumerate([r for r in w.fig.rows(conf["of"]) if r.value != 0], start=1):
        given = w.fig.item_inputs.get(r.code, {})
        budget = given.get("年初预算")
        b_label = f"年初预算：{r.code} {r.name}"
        path = (list(r.path) + ["", "", ""])[:3]
        use = given.get("主要用途")
        extra = {"序号": str(n), "类名": path[0], "款名": path[1], "项名": path[2], "决算": money(r.value),
                 "用途": use if use else w.placeholder(f"主要用途：{r.code} {r.name}"),
                 "年初": money(budget) if isinstance(budget, Decimal) else w.placeholder(b_label),
                 "完成": w.completion(r.value, budget if isinstance(budget, Decimal) else None, base, b_label),
                 "差异": w.difference(r.value, budget if isinstance(budget, Decimal) else None, base,
                                      given.get("差异原因"), f"差异原因：{r.code} {r.name}")}
        out.append(w.fill(conf["paragraph"], extra))
    return out


def _section(w: _Writer, sec: Section) -> Part:
    w.section = sec
    headings = [h for h in (sec.get("heading"), sec.get("sub")) if h]
    extra = {}
    paras: list[str] = []
    for name, conf in (sec.get("each") or {}).items():
        if conf["of"] == "classes":
            extra[name] = _class_list(w, conf)
        elif conf["of"] == "subjects":
            extra[name] = _subject_list(w, conf)
    empty_of = sec.get("empty_of")
    empty = bool(empty_of) and w.fig.value(empty_of) == 0
    if empty and "none" in sec.raw:  # “无…的部门，作下述说明”: the statement alone
        keep = headings if sec.get("none_keeps_sub", True) else [h for h in [sec.get("heading")] if h]
        return Part(sec.key, keep, [w.fill(t) for t in sec.get("none") or []])
    if empty_of and not empty and "none" not in sec.raw:
        paras.append(w.placeholder(f"{sec.get('heading', sec.key)}（本部门有此项资金，请按表说明）"))
    else:
        paras += [w.fill(t, extra) for t in sec.get("paragraphs") or []]
        for name, conf in (sec.get("each") or {}).items():
            if conf["of"] not in ("classes", "subjects"):
                paras += _item_paragraphs(w, conf)
    return Part(sec.key, headings, paras)


def compose(fig: Figures) -> Narrative:
    """The whole 第三部分 for the figures ``fig``."""
    w = _Writer(fig)
    parts = [p for p in (_section(w, s) for s in fig.spec.sections) if p.headings or p.paragraphs]
    title = fig.spec.raw["title"].format(**w.years())
    return Narrative(title, parts, w.missing)


def narrate_file(workbook, profile: str | None = None) -> Narrative:
    """The narrative of a workbook (read as the validator reads it, with its 情况说明数据)."""
    from .figures import figures_of

    return compose(figures_of(workbook, profile))
