"""Fixtures that start gcp-storage-emulator.

``emulator`` is one in-memory server for the whole session; ``emulator_bucket`` uploads a
directory tree into a fresh bucket and points ``STORAGE_EMULATOR_HOST`` at the server for the
test.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.servers.emulator import EmulatorServer

_bucket_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    """One emulator (in-memory, threaded) on 127.0.0.1 for the test session."""
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def emulator_bucket(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> Callable[[Path], str]:
    """``upload(root) -> bucket``: upload a tree into a new bucket; sets STORAGE_EMULATOR_HOST."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.host)

    def upload(root: Path, prefix: str = "test-bucket") -> str:
        bucket = f"{prefix}-{next(_bucket_numbers)}"
        emulator.upload_tree(root, bucket)
        return bucket

    return upload
