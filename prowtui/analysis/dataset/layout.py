"""Where a dataset's files live: ``DIR/<table>/job=<job>/part-<first>-<last>.parquet``.

The job is the hive partition key: it is kept in the directory name and not repeated inside
the files (a ``job`` column inside would clash with the partition column in pyarrow), so the
dataset schemas are the single-job export's schemas without ``job``. Job names come from a
bucket listing: they are percent-encoded in directory names (``segment_encoding="uri"``, what
pyarrow decodes), so no name can leave its table directory.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pyarrow as pa

from prowtui.analysis.export import SCHEMAS
from prowtui.analysis.tables import TABLES

MANIFEST = "_manifest.json"
LOCK = ".prowtui-export.lock"
PARTITION_KEY = "job"
#: a complete part file name; build IDs are digits
PART_FILE = re.compile(r"^part-(?P<first>[0-9]+)-(?P<last>[0-9]+)\.parquet$")
#: temporary files of part writers (``.part-1-2.parquet.<host>-<pid>.tmp``)
TEMP_FILE = re.compile(r"^\.part-[0-9]+-[0-9]+\.parquet\..+\.tmp$")


def _without_job(schema: pa.Schema) -> pa.Schema:
    index = schema.get_field_index(PARTITION_KEY)
    return schema if index < 0 else schema.remove(index)


#: the schema of each table's part files (the single-job schema without ``job``)
DATASET_SCHEMAS: dict[str, pa.Schema] = {name: _without_job(SCHEMAS[name]) for name in TABLES}


def part_name(first: str, last: str) -> str:
    """``part-<first build>-<last build>`` (no suffix)."""
    return f"part-{first}-{last}"


def partition_dir(job: str) -> str:
    """``job=<job name>``, the name percent-encoded (``/``, ``=`` and controls included)."""
    return f"{PARTITION_KEY}={quote(job, safe='')}"


def part_key(table: str, job: str, part: str) -> str:
    """``<table>/job=<job>/<part>.parquet``: a part file's key under the dataset root."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")
    return f"{table}/{partition_dir(job)}/{part}.parquet"


def part_path(root: Path, table: str, job: str, part: str) -> Path:
    """``root/<table>/job=<job>/<part>.parquet``: :func:`part_key` in a directory."""
    return root.joinpath(*part_key(table, job, part).split("/"))
