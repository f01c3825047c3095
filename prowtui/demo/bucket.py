"""Building the demo bucket atomically, and telling whether a built tree is current."""

from __future__ import annotations

import shutil
from pathlib import Path

from prowtui.demo.builds import write_job, write_presubmit
from prowtui.demo.causes import big_job_builds
from prowtui.demo.layout import (
    BIG_JOB_DIR,
    DEMO_VERSION,
    NIGHTLY_JOB_DIR,
    SMALL_LOG_LIMIT,
)
from prowtui.demo.plan import nightly_plan, presubmit_plan
from prowtui.demo.release import write_release
from prowtui.demo.writer import (
    TreeWriter,
    read_stamp,
    replace_dir,
    temporary_sibling,
    write_stamp,
)


def build_demo_bucket(dest: Path, *, small: bool = False) -> Path:
    """Build the demo bucket at ``dest`` atomically and return ``dest``.

    The tree is written into a temporary sibling and renamed into place; an existing ``dest``
    is replaced. ``small=True`` writes ~20 builds in the big job and caps logs at 64 KiB.
    A stamp file ``<dest>.stamp`` beside the tree records the version that was built.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(dest, "building")
    limit = SMALL_LOG_LIMIT if small else None
    try:
        writer = TreeWriter(tmp)
        write_job(writer, big_job_builds(small), BIG_JOB_DIR, limit)
        write_job(writer, nightly_plan(small), NIGHTLY_JOB_DIR, limit)
        write_presubmit(writer, presubmit_plan(small), limit)
        if not small:
            write_release(writer)  # many jobs at a glance (the small demo keeps to three)
        writer.finish()
        replace_dir(tmp, dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    write_stamp(dest, _stamp_text(small))
    return dest


def _stamp_text(small: bool) -> str:
    return f"{DEMO_VERSION} {'small' if small else 'full'}\n"


def is_current(dest: Path, *, small: bool = False) -> bool:
    """True when ``dest`` holds a demo tree of the current version."""
    return read_stamp(dest) == _stamp_text(small)
