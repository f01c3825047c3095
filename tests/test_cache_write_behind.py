"""The cache's background writer: visible at once, stored in batches, flushed on close and at
exit, safe across processes and ``fork``, and a daemon that steps down when idle."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import diskcache
import pytest

import prowtui.cache.writer as cache_writer
from prowtui.cache import FILE_THRESHOLD, Cache
from tests.test_cache import run_writers

REPO = Path(__file__).resolve().parent.parent


def raw_record(store: Path, key: str) -> bytes | None:
    """What another process sees in the store under ``key`` (diskcache itself, no prowtui)."""
    with diskcache.Cache(str(store)) as other:
        value = other.get(key)
    return value if isinstance(value, bytes) else None


def writers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "prowtui-cache-writer"]


def test_a_queued_write_answers_at_once_and_lands_in_one_batch(tmp_path: Path) -> None:
    store = tmp_path / "store"
    cache = Cache(store)
    for i in range(300):
        cache.put_later(f"k{i}", f"value {i}".encode(), ttl=None)
    hit = cache.get("k7")
    assert hit is not None and hit.read() == b"value 7"
    assert all(t.daemon for t in writers())
    cache.flush()
    assert raw_record(store, "k299") is not None and cache.info().entries == 300
    cache.close()


async def test_aget_either_sees_queued_answers_and_markers(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "store")
    cache.put_later("nf-a", b"missing", ttl=None)
    hit, missing = await cache.aget_either("a", "nf-a")
    assert hit is None and missing is not None and missing.read() == b"missing"
    cache.put_later("a", b"found", ttl=None, forget=["nf-a"])
    hit, missing = await cache.aget_either("a", "nf-a")
    assert hit is not None and hit.read() == b"found" and missing is None
    cache.flush()
    assert await cache.aget("nf-a") is None  # forgotten in the same transaction
    hit, missing = await cache.aget_either("a", "nf-a")
    assert hit is not None and hit.read() == b"found"
    cache.close()


def test_rewrites_deletes_and_big_payloads(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "store")
    cache.put("k", b"x" * FILE_THRESHOLD, ttl=None)  # a file payload first
    big = cache.get("k")
    assert big is not None and big.file is not None
    old_file = big.file
    cache.put_later("k", b"small now", ttl=60)
    cache.put_later("gone", b"never stored", ttl=None)
    cache.delete("gone")
    cache.put_later("big", b"y" * FILE_THRESHOLD, ttl=None)  # written at once, as a file
    assert raw_record(tmp_path / "store", "big") is not None
    cache.flush()
    hit = cache.get("k")
    assert hit is not None and hit.read() == b"small now" and hit.file is None
    assert not old_file.exists()  # the stale data file went with its entry
    assert cache.get("gone") is None and raw_record(tmp_path / "store", "gone") is None
    cache.put_later("k", b"again", ttl=None)
    cache.close()
    reopened = Cache(tmp_path / "store")
    assert reopened.get("k").read() == b"again"  # type: ignore[union-attr]
    assert reopened.info().entries == 2
    reopened.close()


def test_the_writer_steps_down_when_idle_and_comes_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_writer, "WRITER_IDLE_SECONDS", 0.05)
    monkeypatch.setattr(cache_writer, "BATCH_LINGER_SECONDS", 0.01)
    cache = Cache(tmp_path / "store")
    cache.put_later("a", b"1", ttl=None)
    deadline = time.monotonic() + 5
    while cache._writer is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cache._writer is None and raw_record(tmp_path / "store", "a") is not None
    cache.put_later("b", b"2", ttl=None)
    assert cache._writer is not None
    cache.flush()
    assert raw_record(tmp_path / "store", "b") is not None
    cache.close()


_EXIT_WITHOUT_CLOSE = """
import sys
from pathlib import Path
from prowtui.cache import Cache

cache = Cache(Path(sys.argv[1]))
for i in range(50):
    cache.put_later(f"k{i}", b"v%d" % i, ttl=None)
print("queued")
"""


def test_queued_writes_are_flushed_at_interpreter_exit(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = subprocess.run(
        [sys.executable, "-c", _EXIT_WITHOUT_CLOSE, str(store)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stdout.strip() == "queued", result.stderr
    assert raw_record(store, "k49") is not None


_WRITE_BEHIND_WRITER = """
import sys
from pathlib import Path
from prowtui.cache import Cache

store, name = Path(sys.argv[1]), sys.argv[2]
cache = Cache(store, max_size_mb=512)
for i in range(400):
    cache.put_later(f"shared-{i}", b"shared %d" % i, ttl=None)
    cache.put_later(f"{name}-{i}", b"%s %d" % (name.encode(), i), ttl=60)
    if i % 100 == 0:
        cache.flush()
cache.close()
print("done")
"""


def test_two_processes_write_behind_at_once(tmp_path: Path) -> None:
    store = tmp_path / "store"
    run_writers(_WRITE_BEHIND_WRITER, store)
    cache = Cache(store, max_size_mb=512)
    for i in range(400):
        for key, value in ((f"shared-{i}", b"shared %d" % i), (f"a-{i}", b"a %d" % i)):
            hit = cache.get(key)
            assert hit is not None and hit.read() == value
    assert cache.info().entries == 1200
    cache.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_writes_with_its_own_writer(tmp_path: Path) -> None:
    store = tmp_path / "store"
    cache = Cache(store)
    cache.put_later("parent", b"p", ttl=None)
    cache.flush()
    pid = os.fork()
    if pid == 0:  # the child: a fresh queue and writer, the parent's store
        code = 1
        try:
            cache.put_later("child", b"c", ttl=None)
            cache.flush(timeout=30)
            code = 0 if raw_record(store, "child") is not None else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    hit = cache.get("child")
    assert hit is not None and hit.read() == b"c"
    cache.close()
