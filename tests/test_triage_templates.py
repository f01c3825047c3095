"""Masking, candidate selection and drain3 templating: hand-made lines, chunking edge cases,
the viewer's patterns under RE2 against Python's re, and the real logs in prow-samples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prowtui.errors import UsageError
from prowtui.logs.highlight import DEFAULT, DEFAULT_PATTERNS, ErrorPatterns
from prowtui.triage.candidates import MAX_LINE_BYTES, BuildCandidates, LineSelector
from prowtui.triage.masking import clean, mask
from prowtui.triage.templates import Templater, specificity

SAMPLE_LOGS = "**/*build-log*.txt"


def candidates_of(data: bytes, chunk: int, selector: LineSelector | None = None) -> list:
    build = BuildCandidates(selector or LineSelector())
    scanner = build.scanner("log")
    for start in range(0, len(data), chunk):
        scanner.feed(data[start : start + chunk])
    scanner.finish()
    return list(build.lines.values())


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (
            "E0225 01:02:03.456789   12345 reflector.go:138] failed: leader changed",
            "E0301 23:59:59.000001    7 reflector.go:127] failed: leader changed",
        ),
        (
            "the pod ci-op-abcd1234/e2e-test failed after 30m0.52s (exit 137)",
            "the pod ci-op-z9y8x7w6/e2e-test failed after 1h2m3s (exit 1)",
        ),
        (
            "pod etcd-quorum-guard-7d9f8b6c4d-x7k2p uid 0b7e2c6a-1d3f-4a5b-9c8d-7e6f5a4b3c2d error",
            "pod etcd-quorum-guard-5f6b7c8d9d-q2w4z uid 11111111-2222-4333-8444-555555555555 error",
        ),
        (
            "dial tcp 10.0.32.4:443: i/o timeout at 2021-02-25T01:02:03Z (sha256:"
            + "ab12" * 16
            + ")",
            "dial tcp 172.30.0.1:6443: i/o timeout at 2024-12-31T23:59:59.5+01:00 (sha256:"
            + "cd34" * 16
            + ")",
        ),
        (
            "Feb 25 01:02:03.456: INFO: took 3 seconds, commit 9f7a9a3d3f",
            "Dec 31 23:59:59.999: INFO: took 12 seconds, commit 0abc1234def",
        ),
        (
            "\x1b[31mERRO\x1b[0m[2021-04-17T21:14:48Z] Some steps failed:   ",
            "2021/02/25 01:02:03 Some steps failed:",
        ),
    ],
)
def test_lines_that_differ_only_in_what_varies_mask_the_same(one: str, other: str) -> None:
    assert mask(clean(one)) == mask(clean(other))


@pytest.mark.parametrize(
    "line",
    [
        "Running multi-stage test e2e-gcp-upgrade on x86_64 with sha256 and ipv4",
        'error: the server doesn\'t have a resource type "clusterversion"',
    ],
)
def test_words_with_digits_and_plain_words_stay(line: str) -> None:
    assert mask(clean(line)) == line


def test_clean_drops_escapes_and_trailing_blanks_only() -> None:
    assert clean("\x1b[1;31mfailed\x1b[0m\tnow\x07  ") == "failed now"
    assert mask("   a   b  ") == "a b"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_masking_any_text_is_total_and_stable(text: str) -> None:
    once = mask(clean(text))
    assert "\n" not in once and "\x1b" not in once
    assert mask(once) == mask(once)


@pytest.mark.parametrize("chunk", [1, 3, 17, 4096, 1 << 20])
def test_candidates_keep_line_numbers_across_any_chunking(chunk: int) -> None:
    def word(i: int) -> str:  # distinct letters: lines equal but for digits count once
        return "".join(chr(ord("a") + int(d)) for d in str(i))

    lines = [f"line {i} {'panic: boom' if i % 5 == 0 else 'fine'} {word(i)}" for i in range(1, 400)]
    data = ("\n".join(lines) + "\nlast error without newline").encode()
    found = candidates_of(data, chunk)
    assert [c.line for c in found] == [*range(5, 400, 5), 400]
    assert found[0].text.startswith("line 5 panic: boom")
    assert found[-1].text == "last error without newline"


def test_an_over_long_line_is_cut_and_counting_goes_on() -> None:
    data = b"error " + b"y" * (3 * MAX_LINE_BYTES) + b"\nsecond error here\n"
    for chunk in (1000, 1 << 20):
        found = candidates_of(data, chunk)
        assert [c.line for c in found] == [1, 2]
        assert len(found[0].text) <= MAX_LINE_BYTES


def test_repeated_lines_are_kept_once_per_build_at_their_first_occurrence() -> None:
    data = b"".join(
        f"E0101 00:00:{i % 60:02d}.0 1 x.go:1] failed {i}\n".encode() for i in range(500)
    )
    found = candidates_of(data, 4096)
    assert len(found) == 1 and found[0].line == 1


def test_re2_selects_exactly_the_lines_the_viewer_highlights(samples_dir: Path) -> None:
    data = b"".join(path.read_bytes() for path in sorted(samples_dir.glob(SAMPLE_LOGS)))
    data += b"E0102 03:04:05 klog line\nFAILED [FAILED] x\nERRO[0001] y\nlevel=panic z\ntimed out\n"
    lines = data.split(b"\n")
    expected = [n for n, line in enumerate(lines, 1) if DEFAULT.is_error_line(line)]
    selector = LineSelector()
    build = BuildCandidates(selector, limit=10**6)
    build.add_raw = lambda raw, path, line: seen.append(line)  # type: ignore[method-assign]
    seen: list[int] = []
    scanner = build.scanner("all")
    scanner.feed(data)
    scanner.finish()
    assert seen == expected and len(expected) > 50


def test_config_patterns_join_and_re2_incompatible_ones_still_match() -> None:
    # a look-behind (RE2 has none) and a plain word
    selector = LineSelector([r"(?<!no )warning", r"\bOOMKilled\b"])
    data = b"a warning here\nno warning here\npod OOMKilled\nall fine\nfailed too\n"
    found = candidates_of(data, 7, selector)
    assert [c.line for c in found] == [1, 3, 5]
    reference = ErrorPatterns((*DEFAULT_PATTERNS, r"(?<!no )warning", r"\bOOMKilled\b"))
    assert [c.line for c in found] == [
        n for n, line in enumerate(data.split(b"\n"), 1) if reference.is_error_line(line)
    ]
    with pytest.raises(UsageError):
        LineSelector(["(unclosed"])


def test_drain_joins_varying_tokens_into_one_template_and_keeps_others_apart() -> None:
    templater = Templater()
    ids = [
        templater.add(mask(clean(f"pod e2e-{name} failed to start: image {image} not found")))
        for name, image in (("alpha", "quay.io/a"), ("beta", "quay.io/b"), ("gamma", "docker.io/c"))
    ]
    other = templater.add(mask("error: unable to upgrade connection: container not found"))
    assert len(set(ids)) == 1 and other not in ids
    assert templater.template(ids[0]) == "pod <*> failed to start: image <*> not found"
    assert specificity(templater.template(ids[0])) == 7  # pod failed to start: image not found


def test_real_logs_template_into_few_readable_templates(samples_dir: Path) -> None:
    """The gazelle errors of the KubeVirt log, the [FAIL] lines of the osde2e step log and the
    ci-operator lines of the notebook's log each collapse the way a reader would group them."""
    kubevirt = next(p for p in samples_dir.glob(SAMPLE_LOGS) if "kubevirt" in str(p))
    lines = candidates_of(kubevirt.read_bytes(), 1 << 16)
    templater = Templater()
    clusters = {templater.add(c.masked) for c in lines if "error reading go file" in c.text}
    assert sum("error reading go file" in c.text for c in lines) >= 20
    assert 1 <= len(clusters) <= 2
    for cluster in clusters:
        assert "error reading go file" in templater.template(cluster)
        assert re.search(r"/home/prow/\S+\.go", templater.template(cluster)) is None

    osde2e = next(p for p in samples_dir.glob(SAMPLE_LOGS) if "osde2e" in str(p))
    templater = Templater()
    failed = {
        templater.add(c.masked)
        for c in candidates_of(osde2e.read_bytes(), 1 << 16)
        if c.masked.startswith("[FAIL] Ad Hoc")
    }
    assert len(failed) == 1
    assert (
        templater.template(failed.pop())
        == "[FAIL] Ad Hoc Test Images execution [It] <*> should pass [AdHocTestImages]"
    )

    notebook = next(p for p in samples_dir.glob(SAMPLE_LOGS) if "ocp-ci-analysis" in str(p))
    masked = {c.masked for c in candidates_of(notebook.read_bytes(), 1 << 16)}
    assert "Some steps failed:" in masked
    assert "Container test exited with code <NUM>, reason Error" in masked
    assert "Step e2e-gcp-upgrade-ipi-install-install-stableinitial failed after <DUR>." in masked
