"""Which sheet column holds which 栏 of a table: by the header words above it, then by 栏次.

The model's own header (``TableSpec.header_path``) gives each 栏 its words, most specific last
(``预算数 · 公务用车购置及运行维护费 · 小计``). A sheet column is a candidate for a 栏 when its header has the
last word (or one the profile accepts in its place); among candidates, the exact word beats a synonym,
more of the upper words beat fewer, and a 栏次 number equal to the 栏 settles what is left. A 栏 no
header names is taken by its 栏次 number if the sheet has a 栏次 row. Columns left over are listed,
never read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from juesuan.model.profile import ReadingWords
from juesuan.read.grid import Region, header_word, is_small_int, shown
from juesuan.util.text import norm


@dataclass
class ColumnMatch:
    cols: dict[int, int] = field(default_factory=dict)  # 栏次 → sheet column
    via: dict[int, str] = field(default_factory=dict)  # 栏次 → 表头 / 栏次
    headers: dict[int, str] = field(default_factory=dict)  # sheet column → its header text
    left_over: list[int] = field(default_factory=list)  # sheet columns with a header that no 栏 took


def numbers_row(region: Region, rows, words: ReadingWords) -> dict[int, int]:
    """Sheet column → its 栏次 number, from the row of the header that carries them (a row with the word
    栏次, or a run of at least three numbers 1, 2, 3… left to right)."""
    for r in rows:
        nums = {}
        has_word = False
        for c, t in region.texts(r):  # normalised as norm() does it; a number as its digits
            if t in words.number_headers:
                has_word = True
            n = is_small_int(t)
            if n is not None:
                nums[c] = n
        seq = [nums[c] for c in sorted(nums)]
        if nums and (has_word or (len(seq) >= 3 and seq == sorted(seq) and seq[0] == 1)):
            return nums
    return {}


def _alternatives(words: ReadingWords, word: str, extra=()) -> list[tuple[str, int]]:
    exact = [(norm(word), 2)] + [(norm(w), 2) for w in extra]
    return exact + [(norm(w), 1) for w in words.synonyms.get(word, ())]


_WANTED: dict = {}  # (words, header path, extra words) → what a 栏's header is matched by


def _wanted_words(words: ReadingWords, path: tuple, extra: tuple):
    """A 栏's leaf word with its alternatives (word, score), and each upper word's accepted forms: the
    model's words, normalised once (the same for every workbook)."""
    key = (words, path, extra)
    hit = _WANTED.get(key)
    if hit is None:
        if len(_WANTED) > 4096:
            _WANTED.clear()
        hit = _WANTED[key] = (_alternatives(words, path[-1], extra),
                              [frozenset(norm(w) for w in words.words_for(u)) for u in path[:-1]])
    return hit


def match_columns(region: Region, rows, cols, wanted: dict[int, list[str]], words: ReadingWords,
                  extra: dict[int, list[str]] | None = None) -> ColumnMatch:
    """Assign each 栏 of ``wanted`` (栏次 → header path) to one of the sheet columns ``cols``."""
    extra = extra or {}
    rows = list(rows)
    heads = {c: region.column_words(c, rows) for c in cols}
    numbers = numbers_row(region, rows, words)
    out = ColumnMatch(headers={c: "·".join(w) for c, w in heads.items() if w})
    candidates = []
    have_sets = {c: set(have) for c, have in heads.items()}
    for k, path in wanted.items():
        if not path:
            continue
        alts, uppers = _wanted_words(words, tuple(path), tuple(extra.get(k, ())))  # uppers: a word or one in its place
        for c, have in heads.items():
            present = have_sets[c]
            hit = max((score for w, score in alts if w in present), default=0)
            if not hit:
                continue
            ctx = sum(1 for u in uppers if not u.isdisjoint(present))
            candidates.append(((hit, ctx, numbers.get(c) == k, -len(have), -c), k, c))
    candidates.sort(reverse=True)
    taken: set[int] = set()
    for _, k, c in candidates:
        if k not in out.cols and c not in taken:
            out.cols[k], out.via[k] = c, "表头"
            taken.add(c)
    for k in wanted:
        if k in out.cols:
            continue
        c = next((c for c, n in numbers.items() if n == k and c in heads and c not in taken), None)
        if c is not None:
            out.cols[k], out.via[k] = c, "栏次"
            taken.add(c)
    out.left_over = [c for c in cols if c not in taken and heads.get(c)]
    return out


def unit_of_header(region: Region, rows, cols) -> str | None:
    """A unit named inside a header cell (``金额（万元）``, ``决算数(元)``), if the headers name one."""
    for r in rows:
        for c in cols:
            v = shown(region.sheet, r, c)
            if v is not None:
                _, unit = header_word(v)
                if unit:
                    return unit
    return None
