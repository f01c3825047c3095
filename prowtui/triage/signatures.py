"""Failure signatures: templates that occur in exactly the same builds, ranked.

Each candidate line of a build (see :mod:`prowtui.triage.candidates`) joins a drain3 cluster;
a cluster's *build set* is the builds with at least one of its lines. Clusters with the same
build set are one signature (a cause prints several lines; a job's failure boilerplate
collapses into one row). Ranking: ``score = failed/failed_total - passed/passed_total``
(how much more often the signature is in failed builds than in passed ones), ties by more
failed builds, then by template; only signatures in at least one failed build are listed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from prowtui.triage.candidates import Candidate
from prowtui.triage.model import Example, Signature
from prowtui.triage.templates import Templater, specificity

FAILED_RESULTS = frozenset({"FAILURE", "ERROR", "ABORTED"})
PASSED_RESULTS = frozenset({"SUCCESS"})


@dataclass(frozen=True, slots=True)
class BuildRef:
    """What ranking needs to know of one build of the window (index = position, oldest 0)."""

    build_id: str
    path: str
    result: str

    @property
    def failed(self) -> bool:
        return self.result in FAILED_RESULTS

    @property
    def passed(self) -> bool:
        return self.result in PASSED_RESULTS


class SignatureMiner:
    """Feed builds in order; :meth:`signatures` ranks what their lines have in common."""

    def __init__(self, templater: Templater | None = None) -> None:
        self.templater = templater or Templater()
        #: cluster id -> {build index: its first candidate line of that cluster}
        self._clusters: dict[int, dict[int, Candidate]] = {}

    def add_build(self, index: int, candidates: Iterable[Candidate]) -> None:
        """The candidate lines of build ``index`` (builds must come in index order)."""
        for candidate in candidates:
            cluster_id = self.templater.add(candidate.masked)
            self._clusters.setdefault(cluster_id, {}).setdefault(index, candidate)

    def signatures(self, builds: Sequence[BuildRef]) -> list[Signature]:
        """Every signature present in at least one failed build, best first."""
        failed_total = sum(1 for b in builds if b.failed)
        passed_total = sum(1 for b in builds if b.passed)
        groups: dict[tuple[int, ...], list[int]] = {}
        for cluster_id, seen in self._clusters.items():
            groups.setdefault(tuple(sorted(seen)), []).append(cluster_id)
        ranked: list[tuple[tuple[Fraction, int, str], Signature]] = []
        for members, cluster_ids in groups.items():
            failed = sum(1 for i in members if builds[i].failed)
            if not failed:
                continue
            passed = sum(1 for i in members if builds[i].passed)
            score = _share(failed, failed_total) - _share(passed, passed_total)
            lines, lead = self._lines(cluster_ids)
            occurrences = tuple(_example(builds[i], self._clusters[lead][i]) for i in members)
            newest_failed = max(i for i in members if builds[i].failed)
            signature = Signature(
                id="",
                lines=lines,
                template=lines[0],
                failed_builds=failed,
                passed_builds=passed,
                builds=tuple(builds[i].build_id for i in members),
                score=round(float(score), 6),
                example=_example(builds[newest_failed], self._clusters[lead][newest_failed]),
                occurrences=occurrences,
            )
            ranked.append(((-score, -failed, signature.template), signature))
        ranked.sort(key=lambda item: item[0])
        return _with_ids([signature for _key, signature in ranked])

    def _lines(self, cluster_ids: list[int]) -> tuple[tuple[str, ...], int]:
        """The distinct templates of clusters, most specific first, and the leading cluster."""
        by_template: dict[str, int] = {}
        for cluster_id in sorted(cluster_ids):
            by_template.setdefault(self.templater.template(cluster_id), cluster_id)
        order = sorted(by_template, key=lambda t: (-specificity(t), -len(t), t))
        return tuple(order), by_template[order[0]]


def _share(part: int, total: int) -> Fraction:
    return Fraction(part, total) if total else Fraction(0)


def _example(build: BuildRef, candidate: Candidate) -> Example:
    return Example(build.build_id, candidate.path, candidate.line, candidate.text)


def _with_ids(signatures: list[Signature]) -> list[Signature]:
    """Give each signature an id from its templates (the same lines, the same id)."""
    used: set[str] = set()
    out = []
    for signature in signatures:
        digest = hashlib.blake2b("\n".join(signature.lines).encode(), digest_size=4).hexdigest()
        sig_id, n = f"s{digest}", 1
        while sig_id in used:
            n += 1
            sig_id = f"s{digest}-{n}"
        used.add(sig_id)
        out.append(replace(signature, id=sig_id))
    return out


def causes(signatures: Sequence[Signature], builds: Sequence[BuildRef]) -> list[str | None]:
    """Per build, the most telling signature of a failed build (None otherwise): the highest
    share of failed builds among the builds it occurs in, then the fewest failed builds, then
    the higher score, then the id."""
    best: list[tuple[tuple[Fraction, int, float, str], str] | None] = [None] * len(builds)
    index = {b.build_id: i for i, b in enumerate(builds)}
    for signature in signatures:
        key = (
            -Fraction(signature.failed_builds, len(signature.builds)),
            signature.failed_builds,
            -signature.score,
            signature.id,
        )
        for build_id in signature.builds:
            i = index[build_id]
            if builds[i].failed and (best[i] is None or key < best[i][0]):  # type: ignore[index]
                best[i] = (key, signature.id)
    return [item[1] if item is not None else None for item in best]


def per_build(signatures: Sequence[Signature], builds: Sequence[BuildRef]) -> list[tuple[str, ...]]:
    """Per build, the ids of the listed signatures it has, in rank order."""
    index = {b.build_id: i for i, b in enumerate(builds)}
    out: list[list[str]] = [[] for _ in builds]
    for signature in signatures:
        for build_id in signature.builds:
            out[index[build_id]].append(signature.id)
    return [tuple(ids) for ids in out]
