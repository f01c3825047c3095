"""Artifact names: the well-known files of a build, where events and junit live, and which
preview suits a file (chosen by name, with a content sniff for binary data)."""

from __future__ import annotations

import codecs
import re

from prowtui.prow.limits import MAX_JSON_BYTES, MAX_XML_BYTES

#: paths inside a build directory that the analysis reports presence of
WELL_KNOWN = (
    "build-log.txt",
    "finished.json",
    "started.json",
    "prowjob.json",
    "podinfo.json",
    "artifacts/",
    "artifacts/build-resources/events.json",
)

#: where Kubernetes events are found inside a build directory (``*`` = one path segment):
#: the CI namespace's events (older ci-operator) and ``gather-extra``'s cluster events
EVENTS_PATTERNS = (
    "artifacts/build-resources/events.json",
    "artifacts/*/gather-extra/artifacts/events.json",
)

_EVENTS_RES = tuple(
    re.compile("/".join("[^/]+" if seg == "*" else re.escape(seg) for seg in p.split("/")))
    for p in EVENTS_PATTERNS
)
_JUNIT_RE = re.compile(r".*junit.*\.xml", re.IGNORECASE | re.DOTALL)

_SPECIAL_JSON = {
    "started.json": "started",
    "finished.json": "finished",
    "prowjob.json": "prowjob",
    "podinfo.json": "podinfo",
    "events.json": "events",
}
_ARCHIVE_EXT = (".gz", ".tgz", ".tar", ".zip", ".bz2", ".xz", ".zst", ".7z", ".tbz2", ".txz")
_IMAGE_EXT = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".ico")
_LOG_EXT = (".log",)
_TEXT_EXT = (
    ".txt", ".xml", ".yaml", ".yml", ".md", ".html", ".htm", ".csv", ".tsv", ".ini", ".toml",
    ".sh", ".py", ".go", ".conf", ".cfg", ".env", ".out", ".err", ".diff", ".patch", ".pem",
    ".crt", ".ndjson", ".jsonl",
)  # fmt: skip
_TEXT_CONTROLS = frozenset("\t\n\r\f\b\x1b\x07")


def is_events_file(rel_path: str) -> bool:
    """True for an events.json at one of :data:`EVENTS_PATTERNS` (path inside the build)."""
    rel = rel_path.lstrip("/")
    return any(pattern.fullmatch(rel) for pattern in _EVENTS_RES)


def is_junit_file(name: str) -> bool:
    """True for ``junit*.xml`` / ``*junit*.xml`` (the last path segment, any case)."""
    return bool(_JUNIT_RE.fullmatch(name.rsplit("/", 1)[-1]))


def artifact_kind(path: str, size: int | None = None) -> str:
    """The preview kind of an object, by name.

    One of ``dir``, ``started``, ``finished``, ``prowjob``, ``podinfo``, ``events``, ``junit``,
    ``json``, ``log``, ``text``, ``image``, ``archive``, ``binary``. Files larger than the
    parse limit (``size`` in bytes) are previewed as ``text`` instead of being parsed whole;
    names without an extension are ``text`` (sniff with :func:`looks_binary`).
    """
    if path.endswith("/"):
        return "dir"
    name = path.rsplit("/", 1)[-1].lower()
    too_big_json = size is not None and size > MAX_JSON_BYTES
    if name in _SPECIAL_JSON or is_events_file(path):
        return "text" if too_big_json else _SPECIAL_JSON.get(name, "events")
    if is_junit_file(name):
        return "text" if size is not None and size > MAX_XML_BYTES else "junit"
    if name.endswith(".json"):
        return "text" if too_big_json else "json"
    if name.endswith(_ARCHIVE_EXT):
        return "archive"
    if name.endswith(_IMAGE_EXT):
        return "image"
    if name == "build-log.txt" or name.endswith(("-build-log.txt", *_LOG_EXT)):
        return "log"
    if name.endswith(_TEXT_EXT) or "." not in name.lstrip("."):
        return "text"
    return "binary"


def looks_binary(head: bytes) -> bool:
    """True when the first bytes of a file are not text: a NUL, or over 10% of characters
    being invalid UTF-8 or control characters (a cut multi-byte character at the end is fine)."""
    if not head:
        return False
    if b"\x00" in head:
        return True
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    text = decoder.decode(head, final=False)
    if not text:
        return False
    bad = sum(1 for ch in text if ch == "\ufffd" or (ord(ch) < 32 and ch not in _TEXT_CONTROLS))
    return bad / len(text) > 0.10
