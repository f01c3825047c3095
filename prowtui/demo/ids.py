"""Identifiers drawn from seeded generators: Prow build ids, UIDs, hex digests, namespaces."""

from __future__ import annotations

import random

_SNOWFLAKE_EPOCH_MS = 1288834974657


def snowflake_id(epoch_ms: int, sequence: int = 0) -> str:
    """A Prow build id (Twitter snowflake: ms since 2010-11-04 << 22, node 1)."""
    return str(((epoch_ms - _SNOWFLAKE_EPOCH_MS) << 22) | (1 << 12) | sequence)


def snowflake_ms(build_id: str) -> int:
    """The creation time (epoch ms) encoded in a snowflake build id."""
    return (int(build_id) >> 22) + _SNOWFLAKE_EPOCH_MS


def uid(rng: random.Random) -> str:
    """A version-4 UUID string."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"


def hex_digits(rng: random.Random, n: int) -> str:
    """``n`` random lowercase hex digits (commit SHAs, suffixes)."""
    return f"{rng.getrandbits(4 * n):0{n}x}"


def namespace(rng: random.Random) -> str:
    """A ci-operator test namespace (``ci-op-`` and eight characters)."""
    return "ci-op-" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))


def resource_version(rng: random.Random) -> str:
    """A Kubernetes ``resourceVersion``."""
    return str(rng.randint(10**8, 10**9))
