"""Check-in by reply: the text of a direct message to okrbot, read as a weekly check-in.

`read_reply(text, objectives)` reads a reply against the person's published key results
of the quarter, `objectives` being the objectives in the order the prompt lists them, each
an ordered sequence of `ReplyKR`. Objectives and key results are numbered from 1, the way
the prompt shows them: `2.3` is key result 3 of objective 2. The answer is one of:

* `Understood`: every key result's value to record (new or kept), a confidence per
  objective (or None: the reply named none for it) and the comment;
* `Unclear`: the reply looks like a check-in but cannot be read without guessing; it says
  why (an i18n key and its parameters) and what was read, and nothing may be recorded;
* `NotACheckIn`: the reply holds no number at all (a question, a thank-you): the caller
  answers with a short help text instead.

The grammar
===========

A reply is a *head* of numbers, keep marks and confidence words, then a free comment.

Two forms of the head:

* **In order.** One value per key result, in the order the prompt lists them, objective
  by objective, key result by key result: `52, 1.5, 20`. The count must be exact: more or
  fewer values than key results is unclear.
* **Addressed.** `2.3: 40` sets key result 3 of objective 2 (`2.3 = 40` too); several
  pairs may follow each other (`1.1: 52 2.3: 40`) and every key result not named keeps its
  value. A key result named twice, or one that does not exist (`4.1` with two objectives,
  `1.0`), is unclear. The two forms do not mix: a bare number after the pairs is unclear.

Values:

* Separators are whitespace (newlines too), `;`, a comma followed by a space, sentence
  punctuation (`.`, `!`, `?`) followed by a space, parentheses, the bullet `•` and Slack's
  formatting marks (`*`, `_`, `~`, a backquote). When at least two lines of the reply
  start with `- `, those dashes are list bullets, not keep marks.
* A comma or a point between digits is a decimal separator: `1,5` and `1.5` are 1.5.
* Thousands: `1,200.5` and `12,345,678` (English), `1.200,5` and `1.200.000`, and groups
  of three digits after a space: `1 200`, `12 345,5`. A no-break space (as Norwegian
  text and okrbot itself write thousands) always joins the groups. A plain space is also
  the separator between values, so it joins groups only when that is the one reading
  whose count of values fits: `1 200 5` for two key results is 1200 and 5, and for three
  key results 1, 200 and 5; when some but not all such groups would have to be joined,
  the reply is unclear. In the addressed form a pair's value takes every group after it.
* `1,200` alone (a comma, then exactly three digits, no other separator, not starting
  with 0) is unclear: it is 1.2 to a Norwegian and 1200 to an English reader. `1.200` is
  1.2 (a point alone is a decimal point); `0,125` is 0.125.
* A sign sticks to its number: `-3` and `−3` are minus three, `+3` is three. A dash on
  its own (`-`, `–` or `—`, followed by a space, `;`, `, ` or the end) keeps that key
  result's value. Once every key result has a value, such a dash starts the comment.
* `k` right after the digits multiplies by a thousand: `1.5k` is 1500. No other
  multiplier is read (`5m` is not five million: `m` may be metres or minutes).
* `$`, `€` or `£` right before the digits is skipped. After a number (with or without a
  space) `%` and a unit word are skipped: the unit of any of the person's key results
  (ignoring case, with or without a plural `s`, `e`, `r` or `er`: `user`/`users`,
  `kunde`/`kunder`, `bruker`/`brukere`), or one of `pct`, `percent`, `prosent`, `kr`,
  `nok`, `usd`, `eur`.
  Any other word after a number is not a unit: it starts the comment, or, if numbers are
  still missing, is a word where a number belongs (unclear). Letters glued to digits that
  are not one of these (`3x`, `2nd`) are not a number.

Confidence:

* Words: `on track`, `at risk`, `off track` and Norwegian `i rute`, `i fare` (also
  `i faresonen`, as okrbot's own Norwegian label says), `ute av kurs`, in any case; also
  `on_track`, `on-track`, `ontrack` and the like, and Slack's circle emoji
  `:large_green_circle:`, `:large_yellow_circle:`, `:red_circle:`.
* In order: a word placed right after the last value of an objective is that objective's.
  A single word after all values applies to every objective. When several words are
  given, one after the last value belongs to the last objective only, and objectives
  with no word of their own get None (their confidence is kept). A word before the first
  value, inside an objective's values, or two different words for one objective are
  unclear.
* Addressed: a word after a pair belongs to that pair's objective; a single word at the
  end applies to every objective the reply names.

The comment: whatever follows the head, with leading dashes, colons and punctuation
removed (`52, 1.5, 20 on track — shipped the beta` has the comment `shipped the beta`).
The head ends at the first word that is none of the above, at a confidence word after
the last value, or at a dash once every key result has a value. The comment goes
through the form's own check (`clean_comment`: at most 1000 characters), and every
value given through the form's bounds check (`value_problem`), so a reply records what
the form would.

Milestones: when one of the person's key results is a milestone, `done` and `ferdig`
(any case, also `:white_check_mark:`) are read as the value 1 and `not done` and `ikke
ferdig` as 0, wherever a number may stand; 1 and 0 do as well. Such a word once every key
result has a value starts the comment. A word for a key result that is not a milestone,
and any other number for a milestone, is unclear.

`NotACheckIn` is the answer when the head holds no number (digits) and no addressed
pair: text starting with a word, only confidence words, only dashes, or nothing.

Values updated automatically: when every key result's value came from a data source or
the API since the last check-in (`ReplyKR.automatic`), a reply that starts with a
confidence word (after `-` marks, if any) keeps every value and adds the confidence and
the comment: `on track — shipped the beta`. One word applies to every objective; two
different words are unclear.

The text is taken as Slack's `text` field carries it; Slack's escapes (`&amp;` ...) and
markup stay in the comment as they are, to be shown back in Slack.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from okrbot.domain.checkin import Confidence, clean_comment, value_problem
from okrbot.domain.okr import format_number

__all__ = [
    "CONFIDENCE_WORDS",
    "KRUpdate",
    "NotACheckIn",
    "ObjectiveUpdate",
    "ReadValue",
    "ReplyKR",
    "Unclear",
    "Understood",
    "display_number",
    "plain_number",
    "position_label",
    "read_reply",
    "reply_example",
]


@dataclass(frozen=True)
class ReplyKR:
    """A published key result as a reply is read against it.

    `current` is its latest checked-in value (None: never checked in, so it stands at
    `start`); `unit` is the key result's own unit, read as a unit word after a number;
    `kr_id` is the caller's to find the key result again, not used here.
    """

    start: float
    target: float
    current: float | None = None
    unit: str = ""
    kr_id: int | None = None
    # numeric, milestone or range (domain.okr.Kind)
    kind: str = "numeric"
    # Its value came from a data source or the API since the last check-in.
    automatic: bool = False

    @property
    def value(self) -> float:
        """Where the key result stands: what keeping it records."""
        return self.start if self.current is None else self.current


@dataclass(frozen=True)
class KRUpdate:
    """One key result's part of an understood reply (positions are 1-based)."""

    objective: int
    key_result: int
    kr: ReplyKR
    # The value to record: the reply's, or the kept one (`kr.value`).
    new: float
    # The reply gave a value for it (False: `-`, or not named by an addressed reply).
    given: bool

    @property
    def old(self) -> float | None:
        """The value before the reply (None: never checked in)."""
        return self.kr.current

    @property
    def position(self) -> str:
        return position_label(self.objective, self.key_result)


@dataclass(frozen=True)
class ObjectiveUpdate:
    number: int
    key_results: tuple[KRUpdate, ...]
    # None: the reply named no confidence for this objective; the current one stays.
    confidence: Confidence | None


@dataclass(frozen=True)
class Understood:
    objectives: tuple[ObjectiveUpdate, ...]
    comment: str | None

    @property
    def key_results(self) -> tuple[KRUpdate, ...]:
        return tuple(kr for objective in self.objectives for kr in objective.key_results)


@dataclass(frozen=True)
class ReadValue:
    """A value as far as an unclear reply was read.

    `position` is (objective, key result), 1-based, as the value was read for: the next
    in order, or the address typed (which may not exist); None for a value beyond the
    last key result. `value` is None for a keep mark or a number that could not be read
    (`1,200`); `text` is the value as typed.
    """

    position: tuple[int, int] | None
    value: float | None
    text: str


@dataclass(frozen=True)
class Unclear:
    """Nothing may be recorded. `reason` is an i18n key (`reply.unclear.*`), filled in
    with `params` (only strings as typed and counts, nothing to format)."""

    reason: str
    params: Mapping[str, object]
    read: tuple[ReadValue, ...]
    comment: str | None


@dataclass(frozen=True)
class NotACheckIn:
    """The reply holds no number: not a check-in."""


# Reading ------------------------------------------------------------------------------

_NUMBER = re.compile(
    r"(?P<sign>[-+\u2212])?(?P<currency>[$€£])?"
    r"(?P<chunk>\d+(?:[.,]\d+|[\u00a0\u202f]\d{3}(?!\d))*|\.\d+)"
    r"(?P<k>[kK](?!\w))?"
)
_ADDRESS = re.compile(r"(?P<o>\d{1,3})\.(?P<k>\d{1,3})[^\S\n]*[:=][^\S\n]*")
_KEEP = re.compile(r"[-\u2013\u2014](?=\s|$|[;,])")
_SPACE = r"(?:[^\S\n]+|[_-])?"
_WORDS = r"[^\S\n]+"
_CONFIDENCE = re.compile(
    rf"(?P<on_track>on{_SPACE}track|i{_WORDS}rute|:large_green_circle:)"
    rf"|(?P<at_risk>at{_SPACE}risk|i{_WORDS}faresonen|i{_WORDS}fare|:large_yellow_circle:)"
    rf"|(?P<off_track>off{_SPACE}track|ute{_WORDS}av{_WORDS}kurs|:red_circle:)",
    re.IGNORECASE,
)
_DONE = re.compile(
    r"(?P<no>not[^\S\n]+done|ikke[^\S\n]+ferdig)|(?P<yes>done|ferdig|:white_check_mark:)",
    re.IGNORECASE,
)
_GROUP_BREAK = re.compile("[\u00a0\u202f]")
_ENGLISH_GROUPS = re.compile(r"(\d{1,3}(?:,\d{3})+)(?:\.(\d+))?")
_DOT_GROUPS = re.compile(r"(\d{1,3}(?:\.\d{3})+)(?:,(\d+))?")
_LAST_GROUP = re.compile(r"(\d{3})(?:[.,](\d+))?")
_BULLET_LINE = re.compile(r"^[^\S\n]*-[^\S\n]+\S", re.MULTILINE)
_COMMENT_LEAD = re.compile(r"[\s,;:.!?|\-\u2013\u2014]+")
_GENERIC_UNITS = ("%", "pct", "percent", "prosent", "kr", "nok", "usd", "eur", "$", "€", "£")
_SEPARATORS = frozenset(";\u2022*_~`()")
_SENTENCE_END = frozenset(".!?\u2026")
_PLURALS = ("", "s", "e", "r", "er")
_DASHES = frozenset("-\u2013\u2014")
_AMBIGUOUS = re.compile(r"-?[1-9]\d{0,2},\d{3}")
_MARKS = "*_~`.,;:!?()-\u2013\u2014 \t\n"


@dataclass
class _Token:
    kind: str  # "num", "keep", "addr" or "conf"
    start: int
    end: int
    text: str
    value: float | None = None
    confidence: Confidence | None = None
    address: tuple[int, int] | None = None
    ambiguous: bool = False
    # For thousands groups after a plain space: may this token be the left part of one
    # ("1" of "1 200"), the right part ("200" of "1 200"), and with what digits?
    left: bool = False
    right: bool = False
    negative: bool = False
    digits: str = ""
    fraction: str = ""
    gap: str = ""
    # A milestone's word (`done`, `ikke ferdig`) rather than digits.
    word: bool = False


@dataclass(frozen=True)
class _Value:
    value: float | None
    text: str
    ambiguous: bool
    start: int
    end: int


@dataclass
class _Scan:
    tokens: list[_Token] = field(default_factory=list)
    # Where the head stopped when no token could be read there (the comment starts),
    # and the word found there when it looked like a number but is none ("3x").
    stop: int = 0
    bad: str | None = None


def read_reply(
    text: str, objectives: Sequence[Sequence[ReplyKR]]
) -> Understood | Unclear | NotACheckIn:
    """Read a reply against `objectives`, as the module's docstring describes.

    Every objective needs at least one key result (ValueError otherwise); with no
    objective at all nothing can be a check-in.
    """
    if any(not krs for krs in objectives):
        raise ValueError("every objective needs at least one key result")
    if not objectives:
        return NotACheckIn()
    milestones = any(kr.kind == "milestone" for krs in objectives for kr in krs)
    scan = _scan(text, _units(objectives), milestones)
    tokens = scan.tokens
    if not any(t.kind in ("num", "addr") for t in tokens):
        kept = _all_kept(text, objectives, tokens)
        if kept is not None:
            return kept
        if scan.bad is not None and not any(c.isalpha() for c in scan.bad):
            # Digits run together with commas (`52,1.5,20`): a check-in, but unreadable.
            params = _frozen({"word": scan.bad})
            return Unclear("reply.unclear.word", params, (), _comment(text, scan.stop))
        return NotACheckIn()
    if tokens[0].kind == "conf":
        word = tokens[0].text
        return Unclear("reply.unclear.confidence", _frozen({"word": word}), (), None)
    if tokens[0].kind == "addr":
        return _addressed(text, objectives, scan)
    return _in_order(text, objectives, scan)


def _in_order(
    text: str, objectives: Sequence[Sequence[ReplyKR]], scan: _Scan
) -> Unclear | Understood:
    expected = sum(len(krs) for krs in objectives)
    tokens = scan.tokens
    cut, comment_at = len(tokens), scan.stop
    count = joins = 0
    for index, token in enumerate(tokens):
        fewest = count - joins
        if token.kind == "conf" and fewest <= expected <= count:
            # Words right after it stay in the head: two words for one objective are unclear.
            cut = index + 1
            while cut < len(tokens) and tokens[cut].kind == "conf":
                cut += 1
            comment_at = tokens[cut - 1].end
            break
        if (token.kind == "keep" or token.word) and count >= expected:
            cut, comment_at = index, token.start
            break
        if token.kind in ("num", "keep"):
            if index and _joinable(tokens[index - 1], token):
                joins += 1
            count += 1
    head = tokens[:cut]
    comment = _comment(text, comment_at)

    address = next((t for t in head if t.kind == "addr"), None)
    if address is not None:
        read = _in_order_read(_plain_values(head), objectives)
        return Unclear("reply.unclear.mixed", _frozen({}), read, comment)

    pairs = [i for i in range(1, len(head)) if _joinable(head[i - 1], head[i])]
    found = sum(1 for t in head if t.kind in ("num", "keep"))
    surplus = found - expected
    joined = bool(pairs) and surplus == len(pairs)
    values = _join(head, set(pairs)) if joined else _plain_values(head)
    read = _in_order_read(values, objectives)

    unclear = next((v for v in values if v.ambiguous), None)
    if unclear is not None:
        return Unclear("reply.unclear.ambiguous", _frozen({"number": unclear.text}), read, comment)
    if surplus < 0:
        if scan.bad is not None and cut == len(tokens):
            return Unclear("reply.unclear.word", _frozen({"word": scan.bad}), read, comment)
        if comment is not None and cut == len(tokens) and any(c.isdigit() for c in comment):
            word = comment.split()[0]
            return Unclear("reply.unclear.word", _frozen({"word": word}), read, comment)
        return Unclear(
            "reply.unclear.too_few", _frozen({"expected": expected, "found": found}), read, comment
        )
    if surplus > len(pairs):
        return Unclear(
            "reply.unclear.too_many",
            _frozen({"expected": expected, "found": found}),
            read,
            comment,
        )
    if surplus and not joined:
        first = head[pairs[0] - 1]
        return Unclear(
            "reply.unclear.grouping",
            _frozen({"number": text[first.start : head[pairs[0]].end]}),
            read,
            comment,
        )

    # Each confidence word by how many values come before it.
    ends: dict[int, int] = {}
    total = 0
    for number, krs in enumerate(objectives, start=1):
        total += len(krs)
        ends.setdefault(total, number)
    words: list[tuple[int, _Token]] = []
    before = 0
    joined_at = {v.start for v in values}
    for token in head:
        if token.kind == "conf":
            words.append((before, token))
        elif token.start in joined_at:
            before += 1
    confidences: dict[int, Confidence] = {}
    if len(words) == 1 and words[0][0] == expected:
        confidence = words[0][1].confidence
        assert confidence is not None
        confidences = dict.fromkeys(range(1, len(objectives) + 1), confidence)
    else:
        for at, token in words:
            owner = ends.get(at)
            assert token.confidence is not None
            if owner is None or confidences.get(owner, token.confidence) != token.confidence:
                return Unclear(
                    "reply.unclear.confidence", _frozen({"word": token.text}), read, comment
                )
            confidences[owner] = token.confidence

    given: dict[tuple[int, int], float] = {}
    for item in read:
        if item.position is not None and item.value is not None:
            given[item.position] = item.value
    texts = {item.position: item.text for item in read}
    return _understood(objectives, given, texts, confidences, comment, read)


def _all_kept(
    text: str, objectives: Sequence[Sequence[ReplyKR]], tokens: Sequence[_Token]
) -> Understood | Unclear | None:
    """A confidence (after `-` marks, if any) and a comment, when every value was updated
    automatically: every value kept. None when the reply is no such thing."""
    if not all(kr.automatic for krs in objectives for kr in krs):
        return None
    marks = 0
    while marks < len(tokens) and tokens[marks].kind == "keep":
        marks += 1
    words = []
    for token in tokens[marks:]:
        if token.kind != "conf":
            break
        words.append(token)
    if not words or marks > sum(len(krs) for krs in objectives):
        return None
    comment = _comment(text, words[-1].end)
    confidence = words[0].confidence
    assert confidence is not None
    if any(w.confidence != confidence for w in words):
        return Unclear("reply.unclear.confidence", _frozen({"word": words[1].text}), (), comment)
    confidences = dict.fromkeys(range(1, len(objectives) + 1), confidence)
    return _understood(objectives, {}, {}, confidences, comment, ())


def _addressed(
    text: str, objectives: Sequence[Sequence[ReplyKR]], scan: _Scan
) -> Unclear | Understood:
    tokens = scan.tokens
    comment_at = scan.stop
    # Each pair: its address token and its value tokens.
    pairs: list[tuple[_Token, list[_Token]]] = []
    words: list[tuple[int, _Token]] = []  # (index of the pair before, word)
    stray: _Token | None = None
    for index, token in enumerate(tokens):
        if token.kind == "addr":
            pairs.append((token, []))
            continue
        values = pairs[-1][1] if pairs else None
        if token.kind == "conf":
            words.append((len(pairs) - 1, token))
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if following is None or following.kind != "addr":
                comment_at = token.end
                break
            continue
        if values is not None and (not values or _joinable(values[-1], token)):
            values.append(token)
            continue
        if token.kind == "keep" or token.word:
            comment_at = token.start
            break
        stray = token
        comment_at = token.start
        break
    comment = _comment(text, comment_at)

    read: list[ReadValue] = []
    for address_token, values in pairs:
        if values:
            joined = _join(values, set(range(1, len(values))))[0]
            read.append(ReadValue(address_token.address, joined.value, joined.text))
    result = tuple(read)

    if stray is not None:
        return Unclear("reply.unclear.mixed", _frozen({}), result, comment)
    for address_token, values in pairs:
        if not values:
            # `1.1: 2.1: 5`: an address right after another one.
            label = address_token.text.strip(" \t:=")
            return Unclear(
                "reply.unclear.address_value", _frozen({"address": label}), result, comment
            )
    for _address_token, values in pairs:
        if any(v.ambiguous for v in values):
            number = next(v.text for v in values if v.ambiguous)
            return Unclear("reply.unclear.ambiguous", _frozen({"number": number}), result, comment)
    seen: set[tuple[int, int]] = set()
    for address_token, _values in pairs:
        assert address_token.address is not None
        o, k = address_token.address
        label = position_label(o, k)
        if not (1 <= o <= len(objectives) and 1 <= k <= len(objectives[o - 1])):
            return Unclear(
                "reply.unclear.address",
                _frozen({"address": label, "objectives": len(objectives)}),
                result,
                comment,
            )
        if (o, k) in seen:
            return Unclear(
                "reply.unclear.address_twice", _frozen({"address": label}), result, comment
            )
        seen.add((o, k))

    named = sorted({o for o, _k in seen})
    confidences: dict[int, Confidence] = {}
    if len(words) == 1 and words[0][0] == len(pairs) - 1:
        confidence = words[0][1].confidence
        assert confidence is not None
        confidences = dict.fromkeys(named, confidence)
    else:
        for at, token in words:
            assert token.confidence is not None
            named_at = pairs[at][0].address
            assert named_at is not None
            if confidences.get(named_at[0], token.confidence) != token.confidence:
                return Unclear(
                    "reply.unclear.confidence", _frozen({"word": token.text}), result, comment
                )
            confidences[named_at[0]] = token.confidence

    given: dict[tuple[int, int], float] = {}
    for item in result:
        if item.position is not None and item.value is not None:
            given[item.position] = item.value
    texts = {item.position: item.text for item in result}
    return _understood(objectives, given, texts, confidences, comment, result)


def _understood(
    objectives: Sequence[Sequence[ReplyKR]],
    given: Mapping[tuple[int, int], float],
    texts: Mapping[tuple[int, int] | None, str],
    confidences: Mapping[int, Confidence],
    comment: str | None,
    read: tuple[ReadValue, ...],
) -> Understood | Unclear:
    updates: list[ObjectiveUpdate] = []
    for o, krs in enumerate(objectives, start=1):
        items: list[KRUpdate] = []
        for k, kr in enumerate(krs, start=1):
            value = given.get((o, k))
            if value is None:
                items.append(KRUpdate(o, k, kr, kr.value, given=False))
                continue
            text = texts.get((o, k), "")
            worded = _DONE.fullmatch(text.strip()) is not None
            if (worded or kr.kind == "milestone") and (
                kr.kind != "milestone" or value_problem(value, kr.start, kr.target, kr.kind)
            ):
                return Unclear(
                    "reply.unclear.milestone" if kr.kind == "milestone" else "reply.unclear.word",
                    _frozen(
                        {"address": position_label(o, k), "number": text}
                        if kr.kind == "milestone"
                        else {"word": text}
                    ),
                    read,
                    comment,
                )
            problem = value_problem(value, kr.start, kr.target, kr.kind)
            if problem is not None:
                return Unclear(
                    "reply.unclear.absurd",
                    _frozen({"address": position_label(o, k), "number": texts.get((o, k), "")}),
                    read,
                    comment,
                )
            items.append(KRUpdate(o, k, kr, value, given=True))
        updates.append(ObjectiveUpdate(o, tuple(items), confidences.get(o)))
    cleaned, problem = clean_comment(comment)
    if problem is not None:
        return Unclear("reply.unclear.comment_long", _frozen({}), read, comment)
    return Understood(tuple(updates), cleaned)


def _frozen(params: dict[str, object]) -> Mapping[str, object]:
    return MappingProxyType(params)


def _comment(text: str, at: int) -> str | None:
    rest = text[at:]
    lead = _COMMENT_LEAD.match(rest)
    if lead is not None:
        rest = rest[lead.end() :]
    rest = rest.strip()
    # What is left of Slack's formatting around the head (`_on track_`) is no comment.
    return rest if rest.strip(_MARKS) else None


def _plain_values(tokens: Sequence[_Token]) -> list[_Value]:
    return [
        _Value(t.value, t.text, t.ambiguous, t.start, t.end)
        for t in tokens
        if t.kind in ("num", "keep")
    ]


def _join(tokens: Sequence[_Token], joined: set[int]) -> list[_Value]:
    """Values of the tokens, token i joined to token i - 1 for each i in `joined`."""
    values: list[_Value] = []
    run: list[_Token] = []

    def flush() -> None:
        if not run:
            return
        if len(run) == 1:
            t = run[0]
            values.append(_Value(t.value, t.text, t.ambiguous, t.start, t.end))
        else:
            digits = "".join(t.digits for t in run)
            fraction = run[-1].fraction
            number = float(f"{digits}.{fraction}" if fraction else digits)
            text = " ".join(t.text for t in run)
            values.append(
                _Value(
                    -number if run[0].negative else number, text, False, run[0].start, run[-1].end
                )
            )
        run.clear()

    for index, token in enumerate(tokens):
        if token.kind not in ("num", "keep"):
            flush()
            continue
        if index not in joined:
            flush()
        run.append(token)
    flush()
    return values


def _in_order_read(
    values: Sequence[_Value], objectives: Sequence[Sequence[ReplyKR]]
) -> tuple[ReadValue, ...]:
    positions = [
        (o, k) for o, krs in enumerate(objectives, start=1) for k in range(1, len(krs) + 1)
    ]
    return tuple(
        ReadValue(positions[i] if i < len(positions) else None, v.value, v.text)
        for i, v in enumerate(values)
    )


def _joinable(left: _Token, right: _Token) -> bool:
    return left.kind == right.kind == "num" and left.left and right.right and right.gap == " "


def _units(objectives: Sequence[Sequence[ReplyKR]]) -> tuple[str, ...]:
    """Unit words read after a number, longest first (so `kunder` wins over `kunde`)."""
    units: set[str] = set(_GENERIC_UNITS)
    for krs in objectives:
        for kr in krs:
            unit = kr.unit.strip().casefold()
            if not unit or any(c.isdigit() for c in unit):
                continue
            units.update(unit + ending for ending in _PLURALS)
            for ending in _PLURALS:
                if ending and unit.endswith(ending) and len(unit) - len(ending) >= 2:
                    units.add(unit[: -len(ending)])
    return tuple(sorted(units, key=lambda u: (-len(u), u)))


def _at_line_start(text: str, pos: int) -> bool:
    line = text.rfind("\n", 0, pos) + 1
    return not text[line:pos].strip()


def _separator_at(text: str, pos: int) -> bool:
    c = text[pos]
    after = pos + 1 == len(text) or text[pos + 1].isspace()
    return c.isspace() or c in _SEPARATORS or (after and (c == "," or c in _SENTENCE_END))


def _skip(text: str, pos: int, bullets: bool) -> int:
    while pos < len(text):
        if _separator_at(text, pos) or (
            bullets
            and text[pos] in _DASHES
            and pos + 1 < len(text)
            and text[pos + 1] in " \t"
            and _at_line_start(text, pos)
        ):
            pos += 1
        else:
            break
    return pos


def _scan(text: str, units: Sequence[str], milestones: bool = False) -> _Scan:
    """The head's tokens, from the start up to the first word that is none of them;
    with `milestones`, their words too."""
    scan = _Scan()
    bullets = len(_BULLET_LINE.findall(text)) >= 2
    pos = 0
    while True:
        # The comment keeps what it starts with (a parenthesis, Slack's formatting marks).
        scan.stop = pos
        start = _skip(text, pos, bullets)
        if start >= len(text):
            return scan
        token = (
            _address(text, start, units, milestones)
            or _confidence(text, start)
            or _keep(text, start)
        )
        if token is None and milestones:
            token = _done(text, start)
        if token is None:
            number = _number(text, start, units)
            if isinstance(number, str):
                scan.bad = number
                return scan
            if number is None:
                return scan
            token = number
        token.gap = text[pos:start]
        scan.tokens.append(token)
        pos = token.end
        # An address takes the spaces after it: its value follows right away.
        if token.kind != "addr" and pos < len(text) and not _separator_at(text, pos):
            scan.stop = pos
            return scan


def _boundary(text: str, pos: int) -> bool:
    return pos >= len(text) or not text[pos].isalnum()


def _address(text: str, pos: int, units: Sequence[str], milestones: bool = False) -> _Token | None:
    match = _ADDRESS.match(text, pos)
    if match is None:
        return None
    # Only an address when a value follows it: `20.5: shipped` is a number and a comment.
    after = match.end()
    if (
        _keep(text, after) is None
        and not isinstance(_number(text, after, units), _Token)
        and not (milestones and _done(text, after) is not None)
    ):
        return None
    return _Token(
        "addr",
        pos,
        after,
        match.group(0),
        address=(int(match.group("o")), int(match.group("k"))),
    )


def _confidence(text: str, pos: int) -> _Token | None:
    match = _CONFIDENCE.match(text, pos)
    if match is None or not _boundary(text, match.end()):
        return None
    kind = match.lastgroup
    assert kind is not None
    return _Token("conf", pos, match.end(), match.group(0), confidence=Confidence(kind))


def _done(text: str, pos: int) -> _Token | None:
    """A milestone's word at `pos`: a value of 1 (done) or 0 (not done)."""
    match = _DONE.match(text, pos)
    if match is None or not _boundary(text, match.end()):
        return None
    value = 0.0 if match.group("no") else 1.0
    return _Token("num", pos, match.end(), match.group(0), value=value, word=True)


def _keep(text: str, pos: int) -> _Token | None:
    match = _KEEP.match(text, pos)
    if match is None:
        return None
    return _Token("keep", pos, match.end(), match.group(0))


def _number(text: str, pos: int, units: Sequence[str]) -> _Token | str | None:
    """A number token at `pos`; the word there (str) when it starts like a number but is
    none; None when nothing there starts like a number."""
    match = _NUMBER.match(text, pos)
    if match is None:
        return None
    end = match.end()
    shape = _shape(match.group("chunk"))
    suffixed = match.group("k") is not None
    unit_end = _unit(text, end, units)
    if unit_end is not None:
        end, suffixed = unit_end, True
    if shape is None or not _boundary(text, end):
        stop = end
        while stop < len(text) and (text[stop].isalnum() or text[stop] in ".,"):
            stop += 1
        return text[pos:stop].rstrip(".,")
    digits, fraction, simple, ambiguous = shape
    negative = match.group("sign") in ("-", "\u2212")
    value = float(f"{digits}.{fraction}" if fraction else digits)
    if match.group("k"):
        value *= 1000
    token = _Token(
        "num",
        pos,
        end,
        text[pos:end],
        value=None if ambiguous else (-value if negative else value),
        ambiguous=ambiguous,
        negative=negative,
        digits=digits,
        fraction=fraction,
    )
    token.left = simple and not fraction and len(digits) <= 3 and not suffixed and not ambiguous
    token.right = (
        simple
        and not ambiguous
        and len(digits) == 3
        and match.group("sign") is None
        and match.group("currency") is None
        and match.group("k") is None
    )
    return token


def _unit(text: str, pos: int, units: Sequence[str]) -> int | None:
    """The end of a unit word at `pos` (after spaces on the same line), or None."""
    at = pos
    while at < len(text) and text[at] in " \t\u00a0\u202f":
        at += 1
    for unit in units:
        end = at + len(unit)
        if text[at:end].casefold() == unit and (not unit[-1].isalnum() or _boundary(text, end)):
            return end
    return None


def _shape(chunk: str) -> tuple[str, str, bool, bool] | None:
    """(integer digits, fraction digits, simple, ambiguous) of a number's digits and
    separators; None when they are no number. `simple`: at most one decimal separator and
    no thousands separator."""
    if chunk.startswith("."):
        return "0", chunk[1:], True, False
    if _GROUP_BREAK.search(chunk):
        head, *rest = _GROUP_BREAK.split(chunk)
        last = _LAST_GROUP.fullmatch(rest[-1])
        if (
            not head.isdigit()
            or len(head) > 3
            or last is None
            or not all(len(g) == 3 and g.isdigit() for g in rest[:-1])
        ):
            return None
        return head + "".join(rest[:-1]) + last.group(1), last.group(2) or "", False, False
    commas, points = chunk.count(","), chunk.count(".")
    if commas + points == 0:
        return chunk, "", True, False
    if commas + points == 1:
        whole, fraction = re.split("[.,]", chunk)
        ambiguous = commas == 1 and len(whole) <= 3 and whole[0] != "0" and len(fraction) == 3
        return whole, fraction, True, ambiguous
    english = _ENGLISH_GROUPS.fullmatch(chunk)
    if english is not None and (commas >= 2 or english.group(2)):
        return english.group(1).replace(",", ""), english.group(2) or "", False, False
    dotted = _DOT_GROUPS.fullmatch(chunk)
    if dotted is not None and (points >= 2 or dotted.group(2)):
        return dotted.group(1).replace(".", ""), dotted.group(2) or "", False, False
    return None


# Writing ------------------------------------------------------------------------------

CONFIDENCE_WORDS: Mapping[str, Mapping[Confidence, str]] = MappingProxyType(
    {
        "en": MappingProxyType(
            {
                Confidence.ON_TRACK: "on track",
                Confidence.AT_RISK: "at risk",
                Confidence.OFF_TRACK: "off track",
            }
        ),
        "nb": MappingProxyType(
            {
                Confidence.ON_TRACK: "i rute",
                Confidence.AT_RISK: "i fare",
                Confidence.OFF_TRACK: "ute av kurs",
            }
        ),
    }
)


def position_label(objective: int, key_result: int) -> str:
    """`2.3`: key result 3 of objective 2, as a reply addresses it."""
    return f"{objective}.{key_result}"


def plain_number(value: float, language: str) -> str:
    """`value` as a reply would write it and `read_reply` reads it back exactly: no
    thousands separators, no exponent, a decimal comma in Norwegian (`1,5`; `1,1250`
    rather than `1,125`, which would be unclear)."""
    text = str(int(value)) if value == int(value) else format(Decimal(repr(value)), "f")
    if language != "nb":
        return text
    text = text.replace(".", ",")
    # `1,125` would be unclear (thousands or decimals?); `1,1250` is not.
    return text + "0" if _AMBIGUOUS.fullmatch(text) else text


def display_number(value: float, language: str) -> str:
    """`value` for people to read: `1,234.5` in English, `1 234,5` in Norwegian (with a
    no-break space, which `read_reply` also reads as a thousands separator)."""
    text = format_number(value)
    if language != "nb":
        return text
    return text.replace(",", "\u00a0").replace(".", ",")


def reply_example(
    objectives: Sequence[Sequence[ReplyKR]],
    language: str,
    confidence: Confidence = Confidence.ON_TRACK,
) -> str:
    """The line a prompt shows as "reply with your numbers, in this order": each key
    result's current value in order and one confidence word for all, e.g.
    `52, 1.5, 20 on track` in English and `52; 1,5; 20 i rute` in Norwegian (where `;`
    keeps a decimal comma from reading like a separator). `read_reply` reads it as every
    value as it is and that confidence for every objective."""
    separator = "; " if language == "nb" else ", "
    numbers = separator.join(plain_number(kr.value, language) for krs in objectives for kr in krs)
    words = CONFIDENCE_WORDS.get(language, CONFIDENCE_WORDS["en"])
    return f"{numbers} {words[confidence]}"
