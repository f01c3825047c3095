"""Masking what varies from build to build in a log line, before it is templated.

A failure prints the same message in every build it breaks, but with other numbers, ids, pod
names and times in it. :func:`mask` replaces those parts with placeholders (``<TS>``,
``<UUID>``, ``<IP>``, ``<HEX>``, ``<DUR>``, ``<ID>``, ``<NUM>``) so the template miner sees
the same line every time; :func:`clean` drops ANSI escape sequences and trailing whitespace
(the log viewer renders them; they are not part of the message).

Masking runs once per distinct candidate line, so it is written for Python's ``re``: every
rule starts with a character class or a literal (so the engine skips ahead quickly) and
checks what precedes it with a look-behind placed after its first character; rules that
need a character the line lacks are skipped. Digits glued to letters (``x86_64``, ``e2e``,
``sha256``) are part of a word and stay.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: a line longer than this is cut before masking (a JSON blob is no failure message)
MAX_LINE_CHARS = 2000

_ANSI = re.compile(r"\x1b\[[0-9;:?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_CLOCK = r"\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?"
_ZONE = r"(?:Z|[+-]\d{2}:?\d{2}|\s?UTC)?"
_UNIT = r"(?:h|ms|m(?!i)|s|us|µs|ns)"
#: Kubernetes' generated name suffixes: consonants and digits without look-alikes
_K8S = "[bcdfghjklmnpqrstvwxz2456789]"

Replacement = str | Callable[[re.Match[str]], str]


def _word(match: re.Match[str]) -> str:
    """A token of letters and digits: a hex id (7+ chars), an id (12+ chars) or a word."""
    token = match.group()
    if token.isdigit() or token.isalpha():
        return token
    if len(token) >= 12 and not token.isupper():
        return "<HEX>" if all(c in "0123456789abcdef" for c in token) else "<ID>"
    if all(c in "0123456789abcdef" for c in token):
        return "<HEX>"
    return token


#: (guard, regex, replacement), run over the whole line when the guard is in it: the shapes
#: that span several tokens or punctuation, most specific first
_LINE_RULES: tuple[tuple[str, str, Replacement], ...] = (
    # klog header "E0225 01:02:03.456789   12345 file.go:12]": keep the severity and the source
    (":", r"([IWEF])\d{4} " + _CLOCK + r"\s+\d+ ", r"\1 "),
    (":", r"\d{4}-\d{2}-\d{2}[T ]" + _CLOCK + _ZONE, "<TS>"),
    ("/", r"\d{4}/\d{2}/\d{2} " + _CLOCK, "<TS>"),
    (":", _MONTH + r" +\d{1,2},? (?:\d{4} )?" + _CLOCK + _ZONE, "<TS>"),
    (":", r"\d{1,2} " + _MONTH + r" \d{4} " + _CLOCK + _ZONE, "<TS>"),
    (":", r"\d(?<![\w.:]\d)\d?:\d{2}:\d{2}(?:[.,]\d+)?\b", "<TS>"),
    (
        "-",
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
        "<UUID>",
    ),
    (".", r"\d(?<!\w\d)\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d{1,5})?\b", "<IP>"),
    ("::", r"[0-9a-fA-F]{0,4}::?(?:[0-9a-fA-F]{1,4}::?){1,6}[0-9a-fA-F]{1,4}\b", "<IP>"),
    ("sec", r"\d(?<![\w.]\d)\d*(?:\.\d+)? ?(?:seconds?|secs?)\b", "<DUR>"),
    ("min", r"\d(?<![\w.]\d)\d*(?:\.\d+)? ?(?:minutes?|mins?)\b", "<DUR>"),
    ("hour", r"\d(?<![\w.]\d)\d*(?:\.\d+)? ?hours?\b", "<DUR>"),
    # ci-operator namespaces and generated pod/replica-set suffixes
    ("ci-op-", r"ci-op-[a-z0-9]{4,}\b", "ci-op-<ID>"),
    ("-", r"-(?<=[a-z0-9>]-)" + _K8S + r"{8,10}(?=-" + _K8S + r"{5}\b)", "-<ID>"),
    ("-", r"-(?<=[a-z0-9>]-)(?=[a-z0-9]*\d)" + _K8S + r"{5}\b", "-<ID>"),
    ("sha", r"sha(?:256|512|1):[0-9a-fA-F]{16,}\b", "sha:<HEX>"),
    ("0x", r"0x[0-9a-fA-F]+\b", "<HEX>"),
)
#: then, in each whitespace-separated token that still has a digit (cached per token)
_TOKEN_RULES: tuple[tuple[str, Replacement], ...] = (
    (r"[0-9A-Za-z](?<!\w[0-9A-Za-z])[0-9A-Za-z]{6,}\b", _word),
    # Go durations: 1h2m3.5s, 30m0s, 412ms, 2.5s
    (
        r"\d(?<![\w.]\d)\d*(?:\.\d+)?" + _UNIT + r"(?:\d+(?:\.\d+)?" + _UNIT + r"){0,3}(?!\w)",
        "<DUR>",
    ),
    (r"\d(?<![\w<]\d)\d*(?:[.,]\d+)*", "<NUM>"),
)
_LINE = tuple((guard, re.compile(pattern), repl) for guard, pattern, repl in _LINE_RULES)
_TOKEN = tuple((re.compile(pattern), repl) for pattern, repl in _TOKEN_RULES)
#: leading tokens that only stamp a line (times, logrus ``INFO[<TS>]``): dropped, so a
#: message re-logged by ci-operator has the template of the original
_PREFIX = re.compile(r'[A-Z]{4,5}\[<TS>\]|\[?<TS>\]?:?|time="<TS>"')
#: masked tokens remembered (the cache is emptied when full)
_TOKEN_CACHE_SIZE = 100_000
_token_cache: dict[str, str] = {}


def clean(text: str) -> str:
    """``text`` without ANSI escape sequences, other control characters (tabs become spaces)
    and trailing whitespace, cut to :data:`MAX_LINE_CHARS`."""
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    text = text.replace("\t", " ")
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    return text[:MAX_LINE_CHARS].rstrip()


def mask(text: str) -> str:
    """``text`` (already :func:`clean`) with the parts that vary from build to build replaced
    by placeholders, runs of whitespace collapsed and leading time stamps dropped."""
    if _DIGIT.search(text) is None and "ci-op-" not in text:
        return " ".join(text.split())
    for guard, regex, repl in _LINE:
        if guard in text:
            text = regex.sub(repl, text)
    tokens = [_mask_token(token) for token in text.split()]
    start = 0
    while start < len(tokens) - 1 and _PREFIX.fullmatch(tokens[start]):
        start += 1
    return " ".join(tokens[start:])


def _mask_token(token: str) -> str:
    masked = _token_cache.get(token)
    if masked is not None:
        return masked
    masked = token
    if _DIGIT.search(token) is not None:
        for regex, repl in _TOKEN:
            masked = regex.sub(repl, masked)
    if len(_token_cache) >= _TOKEN_CACHE_SIZE:
        _token_cache.clear()
    _token_cache[token] = masked
    return masked


def normalize_name(text: str | None) -> str:
    """A test or suite name with its whitespace collapsed (the identity of a junit case)."""
    return _SPACES.sub(" ", text or "").strip()
