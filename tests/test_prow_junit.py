"""junit XML parsing: roots, nesting, statuses, messages, odd times, hostile XML."""

from __future__ import annotations

import pytest

from prowtui.errors import ParseError, TooLarge
from prowtui.prow import limits
from prowtui.prow.junit import TestCaseRow, parse_junit, parse_junit_suites, parse_time

NESTED = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="all">
  <testsuite name="outer" tests="4">
    <testcase classname="a.B" name="passes" time="1.5"/>
    <testsuite name="inner">
      <testcase classname="a.C" name="fails" time="2">
        <failure message="boom" type="Failure">stack line 1
stack line 2</failure>
      </testcase>
      <testcase name="errors"><error message="kaput"/></testcase>
    </testsuite>
    <testcase name="skips" time="0"><skipped message="not today"/></testcase>
  </testsuite>
</testsuites>
"""


def test_nested_suites_and_statuses() -> None:
    assert parse_junit(NESTED) == [
        TestCaseRow("outer", "a.B", "passes", 1.5, "passed", None),
        TestCaseRow("inner", "a.C", "fails", 2.0, "failed", "boom\nstack line 1\nstack line 2"),
        TestCaseRow("inner", None, "errors", None, "error", "kaput"),
        TestCaseRow("outer", None, "skips", 0.0, "skipped", "not today"),
    ]
    suites = parse_junit_suites(NESTED)
    assert [(s.name, s.tests) for s in suites] == [("outer", 4), ("inner", None)]


def test_bare_testsuite_root_and_testcase_root() -> None:
    rows = parse_junit(b'<testsuite name="s"><testcase name="t" time="3"/></testsuite>')
    assert rows == [TestCaseRow("s", None, "t", 3.0, "passed", None)]
    assert parse_junit("<testcase name='x'/>")[0].name == "x"
    assert parse_junit("<testsuites/>") == []


def test_system_out_used_when_failure_is_empty() -> None:
    doc = """<testsuite><testcase name="t">
      <failure message=""></failure><system-out>what the test printed</system-out>
    </testcase><testcase name="u"><failure>body</failure><system-out>noise</system-out>
    </testcase></testsuite>"""
    rows = parse_junit(doc)
    assert rows[0].message == "what the test printed"
    assert rows[1].message == "body"


def test_failure_wins_over_skipped_and_message_equal_to_body_not_repeated() -> None:
    doc = '<testsuite><testcase name="t"><skipped/><failure message="x">x</failure></testcase>'
    doc += "</testsuite>"
    row = parse_junit(doc)[0]
    assert (row.status, row.message) == ("failed", "x")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.5", 1.5),
        ("2.065e-05", 2.065e-05),
        ("1,234.5", 1234.5),
        ("3s", 3.0),
        (" 7 ", 7.0),
        ("whatever", None),
        ("", None),
        ("nan", None),
        ("inf", None),
        (None, None),
    ],
)
def test_parse_time(value: str | None, expected: float | None) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    "prefix",
    [
        b"<!-- taken from somewhere -->\n",
        b"\xef\xbb\xbf",
        b"\n\n   ",
        b"\xef\xbb\xbf<!-- c -->\r\n",
    ],
)
def test_junk_before_declaration(prefix: bytes) -> None:
    doc = prefix + b'<?xml version="1.0" encoding="UTF-8"?>\n<testsuite><testcase name="t"/>'
    assert parse_junit(doc + b"</testsuite>")[0].name == "t"


def test_entities_and_encodings() -> None:
    doc = '<testsuite><testcase name="a &amp; b &#34;q&#34; &#xA;&lt;x&gt;"/></testsuite>'
    assert parse_junit(doc)[0].name == 'a & b "q" \n<x>'
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><testcase name="caf\xe9"/>'
    assert parse_junit(latin.encode("latin-1"))[0].name == "café"
    broken = b'<testcase name="bad \xff byte"/>'
    assert parse_junit(broken)[0].name == "bad \ufffd byte"
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><testcase name="wide"/>'.encode("utf-16")
    assert parse_junit(utf16)[0].name == "wide"


def test_namespaced_tags() -> None:
    doc = '<t:testsuite xmlns:t="urn:x"><t:testcase name="n"><t:skipped/></t:testcase>'
    doc += "</t:testsuite>"
    assert parse_junit(doc)[0].status == "skipped"


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<testsuite><testcase name="&lol3;"/></testsuite>"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<testsuite><testcase name="&xxe;"/></testsuite>"""


@pytest.mark.parametrize("doc", [BOMB, EXTERNAL, "<!DOCTYPE html><testsuite/>"])
def test_doctype_and_entities_refused(doc: str) -> None:
    with pytest.raises(
        ParseError, match=r"^junit\.xml: DOCTYPE/ENTITY declarations are not allowed$"
    ):
        parse_junit(doc)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<testsuite><testcase>", "junit.xml: invalid XML at line 1 column 22"),
        (b"", "junit.xml: empty document"),
        (b"<html><body/></html>", "junit.xml: not a junit document (root element <html>)"),
        (b"<testsuite>\x00</testsuite>", "junit.xml: NUL byte in XML"),
        (b"<testsuite>&undefined;</testsuite>", "junit.xml: invalid XML at line 1 column 12"),
        (b"\x1f\x8b\x08\x08binary", "junit.xml: invalid XML at line 1 column 1"),
    ],
)
def test_errors(data: bytes, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_junit(data)
    assert str(info.value) == message


def test_deep_nesting_is_not_a_crash() -> None:
    depth = 50_000
    doc = "<testsuite>" * depth + '<testcase name="deep"/>' + "</testsuite>" * depth
    rows = parse_junit(doc)
    assert rows[0].name == "deep"


def test_too_large() -> None:
    assert limits.MAX_XML_BYTES == 64 * 1024 * 1024
    doc = b"<testsuite>" + b" " * limits.MAX_XML_BYTES + b"</testsuite>"
    with pytest.raises(TooLarge, match=r"^junit\.xml: "):
        parse_junit(doc, file="junit.xml")


@pytest.mark.parametrize(
    "codec", ["idna", "punycode", "undefined", "base64", "rot13", "nope", "utf-7"]
)
def test_odd_declared_encodings_fall_back_or_fail_cleanly(codec: str) -> None:
    doc = f'<?xml version="1.0" encoding="{codec}"?><testcase name="caf\xe9"/>'.encode("latin-1")
    try:
        rows = parse_junit(doc)
    except ParseError as exc:
        assert str(exc).startswith("junit.xml: ")
    else:
        assert len(rows) == 1


def test_lone_surrogates_in_text_input_are_replaced() -> None:
    assert parse_junit("<testcase name='a\ud800b'/>")[0].name == "a\ufffdb"
