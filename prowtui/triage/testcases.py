"""junit test cases across the builds of a window: failures, passes, flakiness.

A test's identity is its suite, classname and name, whitespace-normalised. A test is
**flaky** when it failed in at least one build and passed in at least one build that ran it,
*and* either it both failed and passed inside one build (a retry, a duplicate name), or the
builds where it failed are not one contiguous run of the builds that ran it (a test that
breaks and is fixed later is broken, not flaky). ``error`` counts as a failure; skipped runs
count in ``runs`` and ``skipped`` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from prowtui.prow.junit import TestCaseRow
from prowtui.triage.masking import normalize_name
from prowtui.triage.model import TestFailure, TestStat

TestKey = tuple[str, str, str]


@dataclass(slots=True)
class _InBuild:
    failed: int = 0
    passed: int = 0
    skipped: int = 0


@dataclass(slots=True)
class _Test:
    key: TestKey
    builds: dict[int, _InBuild] = field(default_factory=dict)
    failures: list[TestFailure] = field(default_factory=list)


class TestAggregator:
    """Feed each build's junit rows (builds in order); :meth:`stats` sums them up."""

    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        self._tests: dict[TestKey, _Test] = {}
        self._build_ids: dict[int, str] = {}

    def add_build(
        self, index: int, build_id: str, rows: Iterable[tuple[str, TestCaseRow]]
    ) -> int | None:
        """Add build ``index``'s rows (``(bucket path of the junit file, row)``); returns its
        number of failed tests (failed and not passed again in the build), None without rows."""
        self._build_ids[index] = build_id
        touched: dict[TestKey, _InBuild] = {}
        for path, row in rows:
            key = (
                normalize_name(row.suite),
                normalize_name(row.classname),
                normalize_name(row.name),
            )
            test = self._tests.get(key)
            if test is None:
                test = self._tests[key] = _Test(key)
            runs = test.builds.setdefault(index, _InBuild())
            touched[key] = runs
            if row.status in ("failed", "error"):
                runs.failed += 1
                test.failures.append(TestFailure(build_id, path, row.message or ""))
            elif row.status == "passed":
                runs.passed += 1
            else:
                runs.skipped += 1
        if not touched:
            return None
        return sum(1 for runs in touched.values() if runs.failed and not runs.passed)

    def stats(self) -> list[TestStat]:
        """Every test, by failures (most first), then name, suite and classname."""
        out = [self._stat(test) for test in self._tests.values()]
        out.sort(key=lambda t: (-t.failures, t.name, t.suite, t.classname))
        return out

    def _stat(self, test: _Test) -> TestStat:
        suite, classname, name = test.key
        order = sorted(test.builds)
        failures = sum(test.builds[i].failed for i in order)
        passes = sum(test.builds[i].passed for i in order)
        skipped = sum(test.builds[i].skipped for i in order)
        failed_in = [i for i in order if test.builds[i].failed]
        ran = [i for i in order if test.builds[i].failed or test.builds[i].passed]
        passed_somewhere = any(test.builds[i].passed for i in ran)
        flaky = (
            bool(failed_in)
            and passed_somewhere
            and (
                any(test.builds[i].failed and test.builds[i].passed for i in failed_in)
                or not _contiguous(failed_in, ran)
            )
        )
        builds_failed = tuple(self._build_ids[i] for i in failed_in)
        return TestStat(
            name=name,
            suite=suite,
            classname=classname,
            runs=failures + passes + skipped,
            failures=failures,
            passes=passes,
            skipped=skipped,
            builds_failed=builds_failed,
            first_failed=builds_failed[0] if builds_failed else None,
            last_failed=builds_failed[-1] if builds_failed else None,
            flaky=flaky,
            flake_rate=round(failures / (failures + passes), 6) if failures + passes else None,
            failures_detail=tuple(test.failures),
        )


def _contiguous(failed_in: list[int], ran: list[int]) -> bool:
    """Whether the builds in ``failed_in`` are one unbroken stretch of the builds in ``ran``."""
    position = {build: n for n, build in enumerate(ran)}
    first, last = position[failed_in[0]], position[failed_in[-1]]
    return last - first + 1 == len(failed_in)
