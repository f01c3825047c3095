"""The on-disk cache: a size-capped, least-recently-used diskcache in the user cache dir.

Modules: ``store`` (:class:`Cache`: lookups, puts, files, the user's store), ``records`` (the
record format and its checksums), ``writer`` (write-behind: the background writer thread and
its batched transactions) and ``eviction`` (access times, least-recently-used eviction, the
store's statistics). The public names are re-exported here.
"""

from __future__ import annotations

from prowtui.cache.eviction import ACCESS_FLUSH_ENTRIES, ACCESS_FLUSH_SECONDS, CacheInfo
from prowtui.cache.records import FILE_THRESHOLD, STORE_ERRORS, STORE_NAME, Hit, checksum
from prowtui.cache.store import SYNC_FILE_BYTES, Cache, cache_info, clear, open_cache, store_dir
from prowtui.cache.writer import BATCH_LINGER_SECONDS, BATCH_MAX, WRITER_IDLE_SECONDS

__all__ = [
    "ACCESS_FLUSH_ENTRIES",
    "ACCESS_FLUSH_SECONDS",
    "BATCH_LINGER_SECONDS",
    "BATCH_MAX",
    "FILE_THRESHOLD",
    "STORE_ERRORS",
    "STORE_NAME",
    "SYNC_FILE_BYTES",
    "WRITER_IDLE_SECONDS",
    "Cache",
    "CacheInfo",
    "Hit",
    "cache_info",
    "checksum",
    "clear",
    "open_cache",
    "store_dir",
]
