"""The offline demo bucket: a deterministic Prow artifact tree built on first use.

The big job reproduces the job of the original analysis
(``periodic-ci-openshift-release-master-ci-4.6-upgrade-from-stable-4.5-e2e-gcp-upgrade``):
242 finished builds whose top-level and ``artifacts/`` listings have the notebook's entry
counts and combinations, 237 with ``artifacts/build-resources/events.json``, ci-operator
build logs from ~100 bytes to ~30 MB, plus one newer pending build. A second, smaller periodic
job and one presubmit (with ``pr-logs/directory`` link files) complete the tree, with a
release's worth of small periodic jobs for the jobs overview (``release``: the full demo only).

Everything is derived from seeded ``random.Random`` instances and fixed timestamps, so two
builds give the same bytes and the same mtimes. The tree is written into a temporary sibling
directory and renamed into place; a version stamp *outside* the tree
(``<dest>.stamp``) tells :func:`demo_root` whether an existing tree is current.

Modules: ``layout`` (names and paths), ``plan`` (which builds get which files and results),
``logs``/``e2e_text`` (build logs), ``metadata``/``prowjob``/``podinfo``, ``events``,
``junit``, ``artifacts``, ``builds`` (a job on disk), ``writer`` (files, mtimes, atomic swap,
stamp) and ``bucket`` (:func:`build_demo_bucket`, :func:`is_current`). :func:`demo_root` and
:func:`open_demo` live here, so that ``open_demo`` finds a patched ``demo.demo_root``.
"""

from __future__ import annotations

from pathlib import Path

from prowtui import paths
from prowtui.demo.bucket import build_demo_bucket, is_current
from prowtui.demo.ids import snowflake_id, snowflake_ms
from prowtui.demo.layout import (
    BIG_JOB,
    BIG_JOB_DIR,
    CONTENT_BUCKET,
    DEMO_BUCKET_NAME,
    DEMO_VERSION,
    GZIP_OBJECT_NAME,
    NIGHTLY_JOB,
    NIGHTLY_JOB_DIR,
    PRESUBMIT_JOB,
    PRESUBMIT_JOB_DIR,
    PRESUBMIT_ORG_REPO,
    PRESUBMIT_PR,
)
from prowtui.demo.release import RELEASE_JOB_DIRS
from prowtui.sources.base import Source

__all__ = [
    "BIG_JOB",
    "BIG_JOB_DIR",
    "CONTENT_BUCKET",
    "DEMO_BUCKET_NAME",
    "DEMO_VERSION",
    "GZIP_OBJECT_NAME",
    "NIGHTLY_JOB",
    "NIGHTLY_JOB_DIR",
    "PRESUBMIT_JOB",
    "PRESUBMIT_JOB_DIR",
    "PRESUBMIT_ORG_REPO",
    "PRESUBMIT_PR",
    "RELEASE_JOB_DIRS",
    "build_demo_bucket",
    "demo_root",
    "is_current",
    "open_demo",
    "snowflake_id",
    "snowflake_ms",
]


def demo_root() -> Path:
    """The demo bucket directory, built on first use (or rebuilt when its version is old)."""
    dest = paths.demo_dir()
    if not is_current(dest):
        build_demo_bucket(dest)
    return dest


def open_demo(**_options: object) -> Source:
    """The demo bucket as a Source (a LocalSource over :func:`demo_root`)."""
    from prowtui.sources.local import LocalSource

    return LocalSource(demo_root(), bucket=DEMO_BUCKET_NAME, kind="demo")
