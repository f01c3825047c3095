"""JUnit XML (``junit*.xml``) as one row per test case.

Accepts ``<testsuites>``, ``<testsuite>`` (nested suites too) and a bare ``<testcase>`` root;
a BOM, whitespace or comments before ``<?xml``; entities; odd ``time`` values. DOCTYPE and
ENTITY declarations are refused (no entity-expansion attacks). Raises only
:class:`prowtui.errors.ParseError` or :class:`prowtui.errors.TooLarge` (above
:data:`prowtui.prow.limits.MAX_XML_BYTES`).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Literal

from prowtui.errors import ParseError
from prowtui.prow.decode import as_int, check_input_type, check_size, to_text
from prowtui.prow.limits import MAX_XML_BYTES

Status = Literal["passed", "failed", "error", "skipped"]

_JUNIT_ROOTS = ("testsuites", "testsuite", "testcase")
_XML_DECL = re.compile(r"<\?xml\b[^>]*\?>", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
_TIME_SUFFIX = re.compile(r"\s*(s|sec|secs|seconds)\s*$", re.IGNORECASE)


@dataclass
class TestCaseRow:
    """One ``<testcase>``; ``message`` is the failure/error/skip text (None when passed)."""

    __test__ = False  # not a pytest test class

    suite: str
    classname: str | None
    name: str
    time_s: float | None
    status: Status
    message: str | None
    #: the ``<failure>``/``<error>`` element's own text, else its ``message`` attribute
    #: (None when passed or skipped): what ``prowtui search`` matches, line by line
    failure_text: str | None = field(default=None, compare=False, repr=False)


@dataclass
class JunitSuite:
    """One ``<testsuite>`` with the totals it declares (they may disagree with its cases)."""

    name: str
    tests: int | None
    failures: int | None
    errors: int | None
    skipped: int | None
    time_s: float | None


def parse_junit(data: bytes | str, file: str = "junit.xml") -> list[TestCaseRow]:
    """Every test case of a junit document, in document order."""
    return _cases(_parse_root(data, file))


def parse_junit_suites(data: bytes | str, file: str = "junit.xml") -> list[JunitSuite]:
    """Every ``<testsuite>`` with its declared totals, in document order."""
    root = _parse_root(data, file)
    return [
        JunitSuite(
            name=elem.get("name") or "",
            tests=as_int(elem.get("tests")),
            failures=as_int(elem.get("failures")),
            errors=as_int(elem.get("errors")),
            skipped=as_int(elem.get("skipped") or elem.get("skip")),
            time_s=parse_time(elem.get("time")),
        )
        for elem, _suite in _walk(root)
        if _local(elem.tag) == "testsuite"
    ]


def parse_time(value: str | None) -> float | None:
    """Seconds from a ``time`` attribute: ``1.5``, ``2.065e-05``, ``1,234.5``, ``3s``; else None."""
    if value is None:
        return None
    text = _TIME_SUFFIX.sub("", value.strip()).replace(",", "")
    if not text or len(text) > 64:
        return None
    try:
        seconds = float(text)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) else None


def _parse_root(data: bytes | str, file: str) -> ET.Element:
    check_input_type(data, file)
    check_size(data, MAX_XML_BYTES, file)
    text = _decode(data)
    # A declaration after a BOM, whitespace or a comment is illegal XML; drop it (we decoded).
    text = _XML_DECL.sub("", text, count=1)
    if "\x00" in text:
        raise ParseError("NUL byte in XML", file)
    if not text.strip():
        raise ParseError("empty document", file)
    parser = ET.XMLParser(target=_NoDoctypeBuilder(file))
    try:
        parser.feed(text)
        root = parser.close()
    except ET.ParseError as exc:
        line, column = exc.position
        raise ParseError(f"invalid XML at line {line} column {column + 1}", file) from None
    except RecursionError:
        raise ParseError("XML nested too deeply", file) from None
    except ValueError as exc:
        raise ParseError(f"invalid XML ({exc})", file) from None
    if _local(root.tag) not in _JUNIT_ROOTS:
        raise ParseError(f"not a junit document (root element <{_local(root.tag)}>)", file)
    return root


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return to_text(data)
    raw = bytes(data)
    match = _DECLARED_ENCODING.search(raw[:200])
    encoding = match.group(1).decode("ascii") if match else "utf-8"
    return to_text(raw, encoding)


class _NoDoctypeBuilder(ET.TreeBuilder):
    """A tree builder that refuses any DOCTYPE, so no ENTITY can be declared or expanded."""

    def __init__(self, file: str) -> None:
        super().__init__()
        self._file = file

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        """Called by the parser at a ``<!DOCTYPE``: refuse it."""
        raise ParseError("DOCTYPE/ENTITY declarations are not allowed", self._file)


def _local(tag: object) -> str:
    """A tag name without its ``{namespace}``; comments/PIs give ''."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _walk(root: ET.Element) -> list[tuple[ET.Element, str]]:
    """Elements in document order with the name of the nearest enclosing named suite."""
    out: list[tuple[ET.Element, str]] = []
    stack: list[tuple[ET.Element, str]] = [(root, "")]
    while stack:
        elem, suite = stack.pop()
        if _local(elem.tag) == "testsuite" and elem.get("name"):
            suite = elem.get("name") or ""
        out.append((elem, suite))
        if _local(elem.tag) in ("testsuites", "testsuite"):
            stack.extend((child, suite) for child in reversed(elem))
    return out


def _cases(root: ET.Element) -> list[TestCaseRow]:
    return [_case(elem, suite) for elem, suite in _walk(root) if _local(elem.tag) == "testcase"]


def _case(elem: ET.Element, suite: str) -> TestCaseRow:
    children = {_local(child.tag): child for child in reversed(elem)}
    status: Status = "passed"
    detail: ET.Element | None = None
    for tag, candidate in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
        if tag in children:
            status, detail = candidate, children[tag]  # type: ignore[assignment]
            break
    message = failure_text = None
    if detail is not None:
        message = _message(detail, children.get("system-out"), children.get("system-err"))
        if status in ("failed", "error"):
            body = "".join(detail.itertext()).strip("\n")
            failure_text = body if body.strip() else (detail.get("message") or "").strip() or None
    return TestCaseRow(
        suite=suite,
        classname=elem.get("classname") or None,
        name=elem.get("name") or "",
        time_s=parse_time(elem.get("time")),
        status=status,
        message=message,
        failure_text=failure_text,
    )


def _message(
    detail: ET.Element, system_out: ET.Element | None, system_err: ET.Element | None
) -> str | None:
    """Message attribute, then the body; the test's output only when both are empty."""
    parts: list[str] = []
    attr = (detail.get("message") or "").strip()
    body = "".join(detail.itertext()).strip()
    if attr:
        parts.append(attr)
    if body and body != attr:
        parts.append(body)
    if not body:
        for extra in (system_out, system_err):
            text = "".join(extra.itertext()).strip() if extra is not None else ""
            if text:
                parts.append(text)
    return "\n".join(parts) or None
