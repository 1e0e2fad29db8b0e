"""Random streams: one ``numpy.random.Generator`` per scenario process or holder.

Each stream is derived from the chunk's ``SeedSequence`` and a stable hash of a key (a process
or holder path such as ``"production.us_shell_lines"``), so two scenario variants that differ in
one process still see the same draws everywhere else (common random numbers).

>>> seed = np.random.SeedSequence(1)
>>> bool(stream(seed, "a").random() == stream(seed, "a").random())
True
"""

from __future__ import annotations

import hashlib

import numpy as np


def key_hash(key: str) -> int:
    """A stable 32-bit hash of ``key``: the first 4 bytes of its SHA-256, little-endian."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:4], "little")


def stream(seed: np.random.SeedSequence, key: str) -> np.random.Generator:
    """The generator for ``key``: ``seed`` with the hash of ``key`` appended to its spawn key."""
    child = np.random.SeedSequence(
        entropy=seed.entropy,
        spawn_key=(*seed.spawn_key, key_hash(key)),
        pool_size=seed.pool_size,
    )
    return np.random.default_rng(child)
