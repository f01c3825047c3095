"""Where prowtui keeps its files: user cache, config and demo bucket directories.

Environment variables override the platform defaults (tests set them to temporary paths):
``PROWTUI_CACHE_DIR``, ``PROWTUI_CONFIG`` (the config *file*), ``PROWTUI_DEMO_DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "prowtui"


def cache_dir() -> Path:
    """The user cache directory (``$PROWTUI_CACHE_DIR`` or the platform's cache dir)."""
    env = os.environ.get("PROWTUI_CACHE_DIR")
    return Path(env) if env else Path(platformdirs.user_cache_dir(APP_NAME))


def config_path() -> Path:
    """The TOML config file (``$PROWTUI_CONFIG`` or ``<user config dir>/config.toml``)."""
    env = os.environ.get("PROWTUI_CONFIG")
    return Path(env) if env else Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def demo_dir() -> Path:
    """Where the demo bucket is built on first use (``$PROWTUI_DEMO_DIR`` or cache/demo-v1)."""
    env = os.environ.get("PROWTUI_DEMO_DIR")
    return Path(env) if env else cache_dir() / "demo-v1"
