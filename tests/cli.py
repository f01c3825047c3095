"""Running the ``prowtui`` command line from tests, as a user's shell would."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from tests.conftest import REPO

#: a wide terminal without colours: Rich's tables and messages stay on one line, unstyled
PLAIN_WIDE = {"COLUMNS": "200", "NO_COLOR": "1"}


def run_prowtui(
    *args: str, env: dict[str, str] | None = None, timeout: float = 240, text: bool = True
) -> subprocess.CompletedProcess[Any]:
    """Run ``python -m prowtui ARGS`` from the repository with the test's environment plus
    ``env``; output captured (text with undecodable bytes replaced, or bytes)."""
    return subprocess.run(
        [sys.executable, "-m", "prowtui", *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        capture_output=True,
        text=text,
        errors="replace" if text else None,
        timeout=timeout,
        check=False,
    )
