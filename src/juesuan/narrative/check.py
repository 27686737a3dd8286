"""``juesuan check --narrative``: every figure of a written 情况说明 decided (which table figure it
states, by section and wording) and checked against the workbook — amounts with the rounding
envelope, percentages with the interval rule of GONGKAI §4, zero bases, direction words, lists
against the non-zero rows, repeated figures, names, placeholders. Findings are the validator's
:class:`~juesuan.validate.report.Finding` (rule N…, section, paragraph, the quoted sentence)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from juesuan.util.money import round_half_up
from juesuan.util.rounding import HALF_CENT, MISMATCH, OK, classify
from juesuan.validate.report import SEVERITY_OF, Finding

from .compose import rate
from .figures import Figures
from .spec import Section
from .text import Para, norm

_NUM = re.compile(r"(\d+(?:\.\d+)?)(万元|%|个|人次|辆|台|分|次|批|家|项|人|年|月|日|号|元|倍)?")
_UP, _DOWN = ("增加", "增长", "上升", "提高"), ("减少", "下降", "降低")
_BUDGET = ("年初预算", "全年预算", "预算数", "预算为", "预算")
_CLAUSE = re.compile(r"[,;:]")


@dataclass
class Claim:
    para: Para
    sentence: str
    number: Decimal
    shown: str
    unit: str
    prefix: str


@dataclass
class State:
    """What a paragraph has stated so far: the subject, and per subject its stated amounts by role."""

    subject: str | None = None
    stated: dict = field(default_factory=dict)  # (subject, role) → Decimal


class Checker:
    def __init__(self, fig: Figures):
        self.fig, self.findings = fig, []
        self.profile = fig.ctx.profile
        self.section: Section | None = None
        self.seen: dict = {}  # (subject, role) → (value, where) across the document
        self.counts: dict = {}
        self.item_claim = False  # the claim at hand is about a 项 (五（三）'s items report their own rule)
        self.flagged: set[int] = set()  # the claims a finding questions (a sum over them is not reported again)
        self.section_stated: dict = {}  # subject → the first claim stating its amount in the section

    # --- findings ------------------------------------------------------------------------------------

    def add(self, claim: Claim | Para | None, message: str, params: dict, rule: str | None = None,
            severity: str | None = None, **extra) -> None:
        rule_id = rule or (self.section.rule if self.section else self.fig.spec.raw["global_rule"])
        if rule is None and self.section and self.section.get("item_rule") and self.item_claim:
            rule_id = self.section.get("item_rule")
        r = self.profile.rule(rule_id)
        para = claim.para if isinstance(claim, Claim) else claim
        if isinstance(claim, Claim):
            self.flagged.add(id(claim))
        number = extra.pop("number", claim.shown if isinstance(claim, Claim) else "")
        f = Finding(rule=r.id, severity=SEVERITY_OF[severity or r.severity], template=f"checks.narrative.{message}",
                    params=params, table="情况说明", section=para.section if para else "",
                    paragraph=para.index if para else 0,
                    sentence=claim.sentence if isinstance(claim, Claim) else (para.text[:120] if para else ""),
                    number=number, kind="narrative", **extra)
        self.findings.append(f)

    # --- vocabulary ----------------------------------------------------------------------------------

    def find_subject(self, text: str) -> str | None:
        best, end, size = None, -1, 0
        for name, sub in self.section.subjects.items():
            for w in sub.get("words") or [name]:
                w = norm(w)
                i = text.rfind(w)
                if i >= 0 and (i + len(w) > end or i + len(w) == end and len(w) > size):
                    best, end, size = name, i + len(w), len(w)
        return best

    def expected(self, subject: str) -> Decimal | None:
        if subject.startswith("@"):
            return self.rows[subject][0]
        sub = self.section.subjects.get(subject, {})
        v = self.fig.value(sub.get("figure", subject))
        if v is None:
            i = self.fig.input(sub.get("input", subject))
            v = i if isinstance(i, Decimal) else None
        return v

    def budget_of(self, subject: str, state: State) -> Decimal | None:
        if subject.startswith("@"):
            given = self.fig.item_inputs.get(subject[1:], {}).get("年初预算")
            return given if isinstance(given, Decimal) else state.stated.get((subject, "budget"))
        key = self.section.subjects.get(subject, {}).get("budget")
        v = self.fig.value(key) if key else None
        if v is None and key:
            i = self.fig.input(key)
            v = i if isinstance(i, Decimal) else None
        return v if v is not None else state.stated.get((subject, "budget"))

    # --- dynamic subjects: the 类 and 项 of 05 -------------------------------------------------------

    def prepare(self) -> None:
        self.rows: dict[str, tuple] = {}
        for r in self.fig.classes:
            self.rows["@" + r.code] = (r.value, r.alt, r.name)
        for which in self.fig.item_lists():
            for r in self.fig.rows(which):
                self.rows.setdefault("@" + r.code, (r.value, None, r.name))

    def items_list(self) -> str | None:
        """The 项 list this section explains one by one (05's, 07's …), if any."""
        which = self.section.get("list") if self.section else None
        return which if which and which != "classes" else None

    def class_subject(self, name: str) -> str | None:
        n = norm(name)
        for r in self.fig.classes:
            if norm(r.name) == n:
                return "@" + r.code
        for code, cname in self.profile.classes:
            if norm(cname) == n:
                self.rows.setdefault("@" + code, (Decimal(0), None, cname))
                return "@" + code
        return None

    def item_subject(self, path: tuple[str, str, str]) -> str | None:
        names = tuple(norm(p) for p in path)
        rows = self.fig.rows(self.items_list())
        for r in rows:
            if tuple(norm(p) for p in r.path) == names:
                return "@" + r.code
        for r in rows:  # the 项 name alone, when the 类/款 names are written otherwise
            if norm(r.name) == names[2] and r.path and norm(r.path[0]) == names[0]:
                return "@" + r.code
        cat = self.fig.ctx.catalog
        for code, entry in cat.functional.items():  # a 项 not in 05 (决算 0): the catalog's name
            if len(code) == 7 and norm(entry.name) == names[2] and norm(cat.name(code[:5]) or "") == names[1]:
                self.rows.setdefault("@" + code, (Decimal(0), None, entry.name))
                return "@" + code
        return None

    # --- reading the claims of a paragraph -----------------------------------------------------------

    def claims(self, para: Para):
        for sentence in re.split(r"(?<=。)", para.text):
            n = norm(sentence)
            if not n:
                continue
            last = 0
            for m in _NUM.finditer(n):
                if m.start() > 0 and (n[m.start() - 1].isdigit() or n[m.start() - 1] == "."):
                    continue
                yield Claim(para, sentence.strip(), Decimal(m.group(1)), m.group(0), m.group(2) or "",
                            n[last:m.start()]), n
                last = m.end()

    def check_paragraph(self, para: Para, state: State) -> None:
        m = re.search(r"([^\d.,;:、]+?)\(类\)(.+?)\(款\)(.+?)\(项\)", para.norm)
        if m and self.items_list():
            sub = self.item_subject((m.group(1), m.group(2), m.group(3)))
            if sub is None:
                self.add(para, "name", {"name": m.group(3) + "（项）"}, rule=self.fig.spec.raw["global_rule"])
            else:
                self.items_seen.add(sub)
            state.subject = sub
        claims = list(self.claims(para))
        for claim, sentence in claims:
            self.claim(claim, sentence, state)
        self.lists(para, state)
        self.sentence_sums(claims)
        self.partitions(para)

    def claim(self, c: Claim, sentence: str, state: State) -> None:
        self.item_claim = bool(state.subject and state.subject.startswith("@"))
        self.one_claim(c, sentence, state)
        self.item_claim = False

    def one_claim(self, c: Claim, sentence: str, state: State) -> None:
        if self.section.get("list") == "classes":
            m = re.search(r"([^\d.,;:、]+?)\(类\)$", c.prefix)
            if m:
                sub = self.class_subject(m.group(1))
                if sub is None:
                    self.add(c, "name", {"name": m.group(1) + "（类）"}, rule=self.fig.spec.raw["global_rule"])
                    state.subject = None
                    return
                self.classes_seen.add(sub)
                state.subject = sub
        if not (self.items_list() and state.subject and state.subject.startswith("@")):
            text = c.prefix  # a share's denominator (“占本年支出合计的”) is not its subject
            text = text[:text.rfind("占")] if c.unit == "%" and "占" in text else text
            found = self.find_subject(text) if self.section.subjects else None
            if found:
                state.subject = found
        if c.unit == "%":
            self.percent(c, sentence, state)
        elif c.unit == "万元" or (not c.unit and "." in c.shown):
            self.amount(c, sentence, state)
        elif c.unit in ("辆", "台"):
            self.count(c, state)

    # --- amounts -------------------------------------------------------------------------------------

    def label(self, subject: str | None) -> str:
        if subject is None:
            return ""
        if subject.startswith("@"):
            return self.rows[subject][2]
        return (self.section.subjects.get(subject, {}).get("words") or [subject])[0]

    def amount(self, c: Claim, sentence: str, state: State) -> None:
        s = state.subject
        role = self.role(c)
        if role == "delta":
            direction = _direction(c.prefix)
            state.stated[(s, "delta")] = c.number if direction > 0 else -c.number
            self.delta(c, s, direction, state)
            return
        if role == "budget":
            state.stated[(s, "budget")] = c.number
            if s is not None:
                self.budget_claim(c, s, state)
            return
        if c.prefix.endswith("单价"):
            return
        if s is None:
            self.add(c, "unplaced", {"number": c.shown}, severity="I")
            return
        state.stated[(s, "actual")] = c.number
        self.section_stated.setdefault(s, c)
        exp = self.expected(s)
        if exp is None:
            self.repeat(c, s, "actual")
            return
        alt = self.rows[s][1] if s.startswith("@") else None
        diff = c.number - exp
        if diff == 0 or alt is not None and c.number == alt:
            if diff != 0:
                self.add(c, "amount_tail", {"number": c.shown, "what": self.label(s), "expected": exp,
                                            "other": alt}, severity="I", expected=exp, actual=c.number)
            return
        verdict = classify(diff, 2)
        params = {"number": c.shown, "what": self.label(s), "expected": exp}
        if verdict == MISMATCH:
            self.add(c, "amount", params, expected=exp, actual=c.number, difference=diff)
        else:
            self.add(c, "amount_tail", dict(params, other=c.number), severity="I", expected=exp, actual=c.number,
                     difference=diff)

    def prior_said(self, sentence: str) -> bool:
        """The sentence compares with last year (“上年”, “与2023年度相比”, “比2023年度” …)."""
        n = norm(sentence)
        words = self.fig.spec.raw.get("prior_words") or ["上年"]
        return any(norm(w.format(上年=self.fig.year - 1)) in n for w in words)

    def role(self, c: Claim) -> str:
        """What an amount is: a year-on-year change (``delta``), a budget, or the amount itself."""
        if _direction(c.prefix) and self.prior_said(c.sentence):
            return "delta"
        plain = re.sub(r"一般公共预算|政府性基金预算|国有资本经营预算", "", c.prefix)
        if any(w in plain for w in _BUDGET) and "决算" not in plain.split("预算")[-1]:
            return "budget"
        return "actual"

    def budget_claim(self, c: Claim, s: str, state: State) -> None:
        known = None
        if s.startswith("@"):
            given = self.fig.item_inputs.get(s[1:], {}).get("年初预算")
            known = given if isinstance(given, Decimal) else None
        else:
            key = self.section.subjects.get(s, {}).get("budget")
            known = self.fig.value(key) if key else None
            if known is None and key and isinstance(self.fig.input(key), Decimal):
                known = self.fig.input(key)
        if known is None:
            self.repeat(c, s, "budget")
        elif known != c.number:
            self.add(c, "budget", {"number": c.shown, "what": self.label(s), "expected": known},
                     expected=known, actual=c.number, difference=c.number - known)

    def prior(self, s: str) -> Decimal | None:
        key = self.section.subjects.get(s, {}).get("prior") if s and not s.startswith("@") else None
        v = self.fig.input(key) if key else None
        return v if isinstance(v, Decimal) else None

    def delta(self, c: Claim, s: str | None, direction: int, state: State) -> None:
        now, prior = (self.expected(s), self.prior(s)) if s else (None, None)
        if now is None or prior is None:
            return
        exp = now - prior
        if exp == 0 or (exp > 0) != (direction > 0):
            self.add(c, "direction", {"word": _word(c.prefix), "what": self.label(s), "now": now, "prior": prior},
                     expected=exp, actual=c.number * direction)
        elif abs(exp) != c.number:
            self.add(c, "delta", {"number": c.shown, "what": self.label(s), "now": now, "prior": prior,
                                  "expected": abs(exp)}, expected=abs(exp), actual=c.number)

    def repeat(self, c: Claim, s: str, role: str) -> None:
        """N-G: a figure the tables do not give, printed twice, must agree."""
        key = (self.section.key if s.startswith("@") else "", s, role)
        if key in self.seen and self.seen[key][0] != c.number:
            self.add(c, "repeat", {"what": self.label(s), "number": c.shown, "other": self.seen[key][0],
                                   "where": self.seen[key][1]}, rule=self.fig.spec.raw["global_rule"])
        self.seen.setdefault(key, (c.number, c.para.where))


    # --- percentages ---------------------------------------------------------------------------------

    def value_of(self, s: str | None, state: State) -> Decimal | None:
        if s is None:
            return None
        v = self.expected(s)
        return v if v is not None else state.stated.get((s, "actual"))

    def percent(self, c: Claim, sentence: str, state: State) -> None:
        s = state.subject
        tail = _CLAUSE.split(c.prefix)[-1] if _CLAUSE.split(c.prefix)[-1] else c.prefix
        if "占" in tail:
            den_name = self.section.get("share_of")
            den = self.value_of(den_name, state) if den_name else None
            num = self.value_of(s, state)
            if den == 0:
                return self.add(c, "share_zero", {"number": c.shown, "den": self.label(den_name)})
            if den is None or num is None or s == den_name:  # a share of itself: its part is no known figure
                return self.add(c, "unplaced", {"number": c.shown}, severity="I")
            return self.interval(c, num, den, HALF_CENT, f"{self.label(s)}占{self.label(den_name)}")
        if "完成" in tail or "执行" in tail:
            budget, actual = (self.budget_of(s, state), self.value_of(s, state)) if s else (None, None)
            if budget is None or actual is None:
                return self.add(c, "unplaced", {"number": c.shown}, severity="I")
            if budget == 0:
                return self.add(c, "zero_base", {"number": c.shown, "what": self.label(s), "base": "预算"})
            return self.interval(c, actual, budget, HALF_CENT, f"{self.label(s)}完成预算")
        direction = _direction(c.prefix)
        if direction:
            return self.yoy_rate(c, s, direction, state)
        self.add(c, "unplaced", {"number": c.shown}, severity="I")

    def yoy_rate(self, c: Claim, s: str | None, direction: int, state: State) -> None:
        now, prior = (self.value_of(s, state), self.prior(s)) if s else (None, None)
        delta = state.stated.get((s, "delta"))
        if prior is None and now is not None and delta is not None:
            prior = now - delta
        if prior is None or now is None:
            return self.add(c, "unplaced", {"number": c.shown}, severity="I")
        change = now - prior if self.prior(s) is not None else delta
        if prior == 0:
            return self.add(c, "zero_base", {"number": c.shown, "what": self.label(s), "base": "上年数"})
        if change == 0 or (change > 0) != (direction > 0):
            return self.add(c, "direction", {"word": _word(c.prefix), "what": self.label(s), "now": now,
                                             "prior": prior}, expected=change, actual=c.number * direction)
        self.interval(c, abs(change), prior, 2 * HALF_CENT, f"{self.label(s)}增减率")

    def interval(self, c: Claim, num: Decimal, den: Decimal, err: Decimal, what: str) -> None:
        """GONGKAI §4: consistent iff the printed % lies in [round(lo), round(hi)]."""
        exact = rate(num, den)
        lo = max(num - err, Decimal(0)) / (den + err) * 100
        hi = (num + err) / (den - err) * 100 if den > err else exact
        lo, hi = round_half_up(lo), round_half_up(hi)
        if not lo <= c.number <= hi:
            self.add(c, "percent", {"number": c.shown, "what": what, "num": num, "den": den, "expected": exact,
                                    "lo": lo, "hi": hi}, expected=exact, actual=c.number,
                     difference=c.number - exact, tolerance=hi - lo)

    # --- declared sums: a total and the parts listed after it -----------------------------------------

    def sentence_sums(self, claims: list) -> None:
        """“总额 X 万元，其中：A a 万元、B b 万元、C c 万元”: X = a + b + c (amounts within the rounding
        envelope of the parts, counts exactly); a change “减少 X 万元，其中：… 减少 a …” with the signs
        of its direction words. Not reported when one of the figures is already questioned."""
        by_sentence: list[list[Claim]] = []
        for c, _ in claims:
            if not by_sentence or by_sentence[-1][0].sentence != c.sentence:
                by_sentence.append([])
            by_sentence[-1].append(c)
        for cs in by_sentence:
            for i, c in enumerate(cs):
                if i and "其中" in norm(c.prefix):
                    self.one_sum(cs, i)

    def one_sum(self, cs: list[Claim], i: int) -> None:
        total = next((t for t in reversed(cs[:i]) if _unit(t) not in _NOT_SUMMED), None)
        if total is None or _unit(total) not in _SUMMABLE:
            return
        role = self.role(total) if _unit(total) == "万元" else "count"
        parts = []
        for p in cs[i:]:
            if p is not cs[i] and "其中" in p.prefix:
                break
            if _unit(p) in _NOT_SUMMED:
                continue
            if _unit(p) != _unit(total):
                break
            if role == "count" or self.role(p) == role:
                parts.append(p)
        if len(parts) < 2 or any(id(x) in self.flagged for x in [total] + parts):
            return
        sign = (lambda x: _direction(x.prefix) or 1) if role == "delta" else (lambda x: 1)
        got = sum((sign(p) * p.number for p in parts), Decimal(0))
        stated = sign(total) * total.number
        if got == stated or (role != "count" and classify(got - stated, len(parts)) != MISMATCH):
            return
        self.add(total, "sum", {"number": total.shown, "parts": " + ".join(p.shown for p in parts),
                                "sum": abs(got) if role == "delta" else got},
                 expected=got, actual=stated, difference=stated - got)

    def section_sums(self) -> None:
        """The sums the template declares for its section (基本支出 = 人员经费 + 公用经费 …), on the
        amounts the text states, when they are not in one sentence (:meth:`one_sum` has those)."""
        for conf in self.section.get("sums") or ():
            claims = [self.section_stated.get(k) for k in [conf["total"]] + list(conf["parts"])]
            if any(c is None for c in claims) or any(id(c) in self.flagged for c in claims):
                continue
            if len({c.sentence for c in claims}) == 1 and "其中" in claims[0].sentence:
                continue
            total, parts = claims[0], claims[1:]
            got = sum((p.number for p in parts), Decimal(0))
            if classify(got - total.number, len(parts)) == MISMATCH:
                self.add(total, "sum", {"number": total.shown, "parts": " + ".join(p.shown for p in parts),
                                        "sum": got}, expected=got, actual=total.number,
                         difference=total.number - got)

    def partitions(self, para: Para) -> None:
        """Counts that split a total (自评项目 12 个：7 个优、1 个良、4 个中): the parts add up to it."""
        clauses = [x for x in re.split(r"[,;:。()]", para.norm) if x]
        for conf in self.section.get("partitions") or ():
            total, parts = None, []
            for clause in clauses:
                m = re.search(r"(\d+)个", clause)
                if not m:
                    continue
                if any(norm(w) in clause for w in conf["parts"]):
                    parts.append(m.group(0))
                elif not parts and any(norm(w) in clause for w in conf["total"]):
                    total = m.group(0)
            if total is None or len(parts) < 2:
                continue
            got = sum(int(x[:-1]) for x in parts)
            if got != int(total[:-1]):
                self.add(para, "partition", {"what": conf["what"], "parts": " + ".join(parts), "sum": got,
                                             "total": total}, expected=Decimal(int(total[:-1])),
                         actual=Decimal(got), number=" + ".join(parts))


    # --- counts (车辆) --------------------------------------------------------------------------------

    def count(self, c: Claim, state: State) -> None:
        for name, conf in self.section.counts.items():
            if any(norm(w) in c.prefix for w in conf.get("words", ())):
                self.counts[name] = (c.number, c)
                other = conf.get("same_as")
                if other and other in self.counts and self.counts[other][0] != c.number:
                    self.add(c, "count", {"what": (conf.get("words") or [name])[0], "number": c.shown,
                                          "other": int(self.counts[other][0]),
                                          "where": self.counts[other][1].para.where})
                given = self.fig.input(conf.get("input", ""))
                if isinstance(given, Decimal) and given != c.number:
                    self.add(c, "count_input", {"what": (conf.get("words") or [name])[0], "number": c.shown,
                                                "expected": int(given)})
                return


    # --- lists ---------------------------------------------------------------------------------------

    def lists(self, para: Para, state: State) -> None:
        """Every “…主要包括：A、B、C” of the paragraph (one per subject: 人员经费 …；公用经费 …), the
        list running to the end of its sentence or clause (。 or ；)."""
        text, key, start = para.norm, "主要包括:", 0
        while (i := text.find(key, start)) >= 0:
            rest = text[i + len(key):]
            end = min([k for k in (rest.find("。"), rest.find(";")) if k >= 0] or [len(rest)])
            self.one_list(para, text[start:i], rest[:end])
            start = i + len(key) + end

    def one_list(self, para: Para, head: str, listed: str) -> None:
        s = self.find_subject(head) if self.section.subjects else None
        which = self.section.subjects.get(s, {}).get("list") if s else None
        if not which:
            return
        written = [x for x in re.split(r"[、,]", listed) if x and not re.fullmatch(r"[.…]+", x)]
        written = [re.sub(r"(等|……|…)+$", "", x) for x in written]
        every = self.fig.econ(which, nonzero=False)
        nonzero = {code for code, _, v in every if v != 0}
        found: set[str] = set()
        unknown = []
        for name in written:
            code = next((code for code, n, _ in every if _same(n, name) or _same(self.fig.official_econ_name(code), name)), None)
            if code is None:
                unknown.append(name)
            else:
                found.add(code)
        names = {code: n for code, n, _ in every}
        missing = [names[c] for c in sorted(nonzero - found)]
        extra = [names[c] for c in sorted(found - nonzero)] + unknown
        if missing or extra:
            detail = "；".join(x for x in (("缺少：" + "、".join(missing)) if missing else "",
                                           ("多列：" + "、".join(extra)) if extra else "") if x)
            self.add(para, "list", {"what": self.label(s), "detail": detail},
                     severity=self.section.get("list_severity"))

    def end_of_section(self, paras: list[Para]) -> None:
        sec = self.section
        self.section_sums()
        if sec.get("list") == "classes" and paras:
            self.set_list(paras[0], self.classes_seen, [r for r in self.fig.classes if r.value != 0], "（类）")
        if self.items_list() and paras:
            want = [r for r in self.fig.rows(self.items_list()) if r.value != 0]
            missing = [f"{r.code} {r.name}" for r in want if "@" + r.code not in self.items_seen]
            if missing:
                self.add(paras[0], "items_missing", {"names": missing,
                                                     "what": sec.get("items_what", "一般公共预算财政拨款支出的具体情况")},
                         rule=sec.get("item_rule"))
        if sec.get("empty_of") and not ("none" in sec.raw and not sec.get("none")):
            text = "".join(p.norm for p in paras)
            says_none = any(norm(w) in text for w in sec.get("empty_words") or ())
            has = self.fig.value(sec.get("empty_of")) != 0
            where = paras[0] if paras else None
            what = sec.get("empty_label", sec.get("empty_of"))
            if not has and not says_none:
                statement = (sec.get("none") or sec.get("paragraphs") or [""])[0]
                statement = statement.format(年度=self.fig.year, 部门=self.fig.department or "本部门")
                self.add(where, "empty_missing", {"fund": what, "statement": statement})
            elif has and says_none:
                self.add(where, "empty_but_money", {"fund": what, "value": self.fig.value(sec.get("empty_of"))})

    def set_list(self, para: Para, seen: set, want: list, suffix: str) -> None:
        want_keys = {"@" + r.code for r in want}
        missing = [self.rows[k][2] + suffix for k in sorted(want_keys - seen)]
        extra = [self.rows[k][2] + suffix for k in sorted(seen - want_keys)]
        if missing or extra:
            detail = "；".join(x for x in (("缺少：" + "、".join(missing)) if missing else "",
                                           ("多列：" + "、".join(extra)) if extra else "") if x)
            self.add(para, "list", {"what": "支出结构", "detail": detail})

    # --- the document --------------------------------------------------------------------------------

    def run(self, paras: list[Para]) -> list[Finding]:
        self.prepare()
        by_section: dict[str, list[Para]] = {}
        for p in paras:
            by_section.setdefault(p.section, []).append(p)
        gr = self.fig.spec.raw["global_rule"]
        for p in paras:
            for mark in self.fig.spec.raw.get("placeholders") or ():
                if norm(mark) in p.norm:
                    self.section = None
                    self.add(p, "placeholder", {"text": mark}, rule=gr)
                    break
        for sec in self.fig.spec.sections:
            self.section = sec
            self.classes_seen, self.items_seen, self.section_stated = set(), set(), {}
            mine = by_section.get(sec.key, [])
            if not mine and sec.get("heading") and not sec.get("empty_of"):
                self.add(None, "section_missing", {"heading": sec.get("heading")}, severity="W")
            state = State()
            for p in mine:  # a 项's paragraph broken after its “（项）。” continues with that 项
                keep = self.items_list() and state.subject and state.subject.startswith("@")
                state = state if keep else State()
                self.check_paragraph(p, state)
            self.end_of_section(mine)
        return self.findings


def check_text(fig: Figures, paras: list[Para]) -> list[Finding]:
    """The findings of a written narrative (its paragraphs, by section) against the figures."""
    return Checker(fig).run(paras)


def _key(name: str) -> str:
    n = norm(name)
    for suffix in ("缴费", "费用", "费", "支出"):
        if n.endswith(suffix) and len(n) > len(suffix) + 1:
            n = n[: -len(suffix)]
    return n


def _same(a: str, b: str) -> bool:
    """Two names of one 经济分类 款 (伙食补助 = 伙食补助费; 基本养老保险缴费 = 基本养老保险费)."""
    return bool(a and b) and (_key(a) == _key(b) or norm(a) == norm(b))


_SUMMABLE = ("万元", "辆", "个", "台")
_NOT_SUMMED = ("%", "", "年", "月", "日")  # shares and dates between a total and its parts


def _unit(c: Claim) -> str:
    """The unit of a claim: 万元 for an amount written without it (“0.00”)."""
    return c.unit or ("万元" if "." in c.shown else "")


def _direction(prefix: str) -> int:
    tail = _CLAUSE.split(prefix)[-1]
    up = max((tail.rfind(w) for w in _UP), default=-1)
    down = max((tail.rfind(w) for w in _DOWN), default=-1)
    if up < 0 and down < 0:
        return 0
    return 1 if up > down else -1


def _word(prefix: str) -> str:
    tail = _CLAUSE.split(prefix)[-1]
    found = [(tail.rfind(w), w) for w in _UP + _DOWN if w in tail]
    return max(found)[1] if found else ""


def check_narrative(workbook, narrative, profile: str | None = None) -> list[Finding]:
    """Read ``narrative`` (.docx/.txt/.md/.pdf) and check it against ``workbook``."""
    from .figures import figures_of
    from .text import read_narrative

    fig = figures_of(workbook, profile)
    return check_text(fig, read_narrative(narrative, fig.spec))


SHEET_LABEL = "工作簿中的“情况说明”工作表"


def attached_narrative(workbook, narrative=None, sheets: list[str] | None = None) -> tuple[list[Finding], str] | None:
    """The findings of the 情况说明 that goes with ``workbook`` and what it was: the file
    ``narrative`` when given, else the workbook's own 情况说明 sheet (written by narrate), else None.
    ``sheets``: the workbook's sheet names when the caller has read them (the file is not opened again
    to look for a sheet it does not have)."""
    if narrative:
        return check_narrative(workbook, narrative), str(narrative)
    from juesuan.util.names import NARRATIVE_SHEET

    if sheets is not None and NARRATIVE_SHEET not in sheets:
        return None
    from .figures import figures_of
    from .text import join_lines, sheet_lines, split_sections

    lines = sheet_lines(workbook)
    if not lines:
        return None
    from juesuan.errors import ModelError

    try:
        fig = figures_of(workbook)
    except ModelError:  # a profile without a narrative template: nothing to check the sheet with
        return None
    return check_text(fig, split_sections(fig.spec, join_lines(lines))), SHEET_LABEL
