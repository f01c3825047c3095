"""The documentation holds together: README stays a short front page, every relative link in
README, CONTRIBUTING and docs/ points at a file (and heading) that exists, and the test
command CI runs is the one README shows."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

PAGES = [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").glob("*.md"))]
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
#: README is a front page; the reference lives in docs/
README_MAX_LINES = 80


def _anchors(page: Path) -> set[str]:
    """GitHub-style anchors of a page's headings."""
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def _links(page: Path) -> list[str]:
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    return [m for m in _LINK.findall(text) if not re.match(r"[a-z]+:", m)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(page: Path) -> None:
    links = _links(page)
    for link in links:
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        assert path.exists(), f"{page.name}: link to missing {link}"
        if anchor and path.suffix == ".md":
            assert anchor in _anchors(path), f"{page.name}: no heading #{anchor} in {target}"


def test_readme_is_a_front_page_linking_every_docs_page() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= README_MAX_LINES
    linked = {Path(link.partition("#")[0]).name for link in _links(REPO / "README.md")}
    for page in (REPO / "docs").glob("*.md"):
        assert page.name in linked, f"README does not link docs/{page.name}"
    assert "screenshots/" in readme


def test_readme_opens_with_launch_and_test_commands() -> None:
    blocks = re.findall(r"```bash\n(.*?)\n```", (REPO / "README.md").read_text(), re.S)
    assert "prowtui --source demo" in blocks[0]
    assert "pip install -e '.[test]'" in blocks[1] and "pytest" in blocks[1]


def test_ci_runs_the_readme_test_command() -> None:
    script = (
        "awk '/<!-- test-command/{found=1; next} found && /^```/{if (started) exit; "
        "started=1; next} found && started {print}' README.md"
    )
    out = subprocess.run(["bash", "-c", script], cwd=REPO, capture_output=True, text=True)
    blocks = re.findall(r"```bash\n(.*?)\n```", (REPO / "README.md").read_text(), re.S)
    assert out.stdout.strip() == blocks[1].strip()
    assert "awk '/<!-- test-command/" in (REPO / ".ci" / "run").read_text()
