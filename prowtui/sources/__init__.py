"""Sources: list one level of a bucket prefix and read objects, whatever the backend."""

from prowtui.sources.base import Entry, ObjectInfo, Source, join_path, normalize_dir, sort_entries

__all__ = ["Entry", "ObjectInfo", "Source", "join_path", "normalize_dir", "sort_entries"]
