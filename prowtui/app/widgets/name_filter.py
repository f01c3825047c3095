"""Which names a tree filter keeps: a substring, or a shell pattern when it has ``*?[``."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable

#: the characters that make a filter a shell pattern rather than a substring
PATTERN_CHARS = frozenset("*?[")


def is_pattern(text: str) -> bool:
    """True when ``text`` is matched whole as a shell pattern."""
    return not PATTERN_CHARS.isdisjoint(text)


def name_matcher(text: str) -> Callable[[str], bool]:
    """A case-insensitive test for entry names (a directory's trailing ``/`` is optional).

    ``4.16`` keeps the names containing it; ``*-aws-*`` or ``e2e-?cp`` must match the whole
    name, as in a shell.
    """
    if is_pattern(text):
        regex = re.compile(fnmatch.translate(text.rstrip("/")), re.IGNORECASE)
        match = regex.match

        def whole(name: str) -> bool:
            return match(name[:-1] if name.endswith("/") else name) is not None

        return whole
    folded = text.casefold()

    def contains(name: str) -> bool:
        return folded in name.casefold()

    return contains
