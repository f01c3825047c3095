"""Shared test setup: isolated config/cache directories and a guard against empty runs."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_SAMPLES = REPO.parent / "shared" / "data" / "prow-samples"

# Fixture plug-ins, one module per area (servers, emulator, trees).
pytest_plugins = [
    "tests.servers.gcsweb_fixtures",
    "tests.servers.emulator_fixtures",
]

# Session- and module-scoped fixtures run before the per-test isolation below: point every
# prowtui directory at a throw-away folder for the whole process so none of them can touch the
# user's real cache or config.
_SESSION_HOME = Path(tempfile.mkdtemp(prefix="prowtui-tests-"))
atexit.register(shutil.rmtree, _SESSION_HOME, ignore_errors=True)
os.environ["PROWTUI_CONFIG"] = str(_SESSION_HOME / "config" / "prowtui.toml")
os.environ["PROWTUI_CACHE_DIR"] = str(_SESSION_HOME / "cache")
os.environ["PROWTUI_DEMO_DIR"] = str(_SESSION_HOME / "demo")
os.environ["TEXTUAL_ANIMATIONS"] = "none"
os.environ.pop("PROWTUI_SOURCE", None)

#: a CI run that collects fewer tests than this has lost tests somewhere: fail loudly
MIN_TESTS_IN_CI = 50


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Point config, cache and demo directories at temporary folders for every test."""
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("PROWTUI_CONFIG", str(base / "config" / "prowtui.toml"))
    monkeypatch.setenv("PROWTUI_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("PROWTUI_DEMO_DIR", str(base / "demo"))
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.delenv("PROWTUI_SOURCE", raising=False)
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)


@pytest.fixture
def samples_dir() -> Path:
    """The real Prow artifacts in ../shared; the test is skipped when they are absent."""
    if not SHARED_SAMPLES.is_dir():
        pytest.skip("../shared/data/prow-samples is not present")
    return SHARED_SAMPLES


def pytest_collection_finish(session: pytest.Session) -> None:
    """In CI, refuse a run that collected (almost) nothing."""
    full_run = not session.config.args or session.config.args == ["tests"]
    if os.environ.get("CI") and full_run and len(session.items) < MIN_TESTS_IN_CI:
        raise pytest.UsageError(
            f"only {len(session.items)} tests collected; expected at least {MIN_TESTS_IN_CI}"
        )
