"""Shared input handling for the Prow parsers: size checks, text decoding, JSON loading and
lenient value coercion (timestamps, strings, ints) that never raises on bad data."""

from __future__ import annotations

import functools
import json
import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from prowtui.errors import ParseError, TooLarge

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def byte_size(data: bytes | str) -> int:
    """Size of the input in bytes (UTF-8 length for text)."""
    if isinstance(data, str):
        return len(data.encode("utf-8", "surrogatepass"))
    return len(data)


def check_size(data: bytes | str, limit: int, file: str) -> None:
    """Raise TooLarge when ``data`` is bigger than ``limit`` bytes."""
    if isinstance(data, str):
        if len(data) * 4 <= limit:  # a UTF-8 character is at most 4 bytes
            return
        size = len(data) if len(data) > limit else byte_size(data)
    else:
        size = len(data)
    if size > limit:
        raise TooLarge(f"{size} bytes is over the {_human(limit)} limit for parsing", file)


def _human(limit: int) -> str:
    mib = 1024 * 1024
    return f"{limit // mib} MiB" if limit % mib == 0 else f"{limit} byte"


def check_input_type(data: object, file: str) -> None:
    """Only bytes-like and str inputs are parsed."""
    if not isinstance(data, (bytes, bytearray, memoryview, str)):
        raise ParseError(f"expected bytes or text, got {type(data).__name__}", file)


_SURROGATE = re.compile("[\ud800-\udfff]")


def to_text(data: bytes | str, encoding: str = "utf-8") -> str:
    """Decode bytes (a BOM wins over ``encoding``; invalid bytes become U+FFFD); drop a BOM.

    An unknown or unusable ``encoding`` falls back to UTF-8. Lone surrogates in text input
    become U+FFFD too, so the result can always be encoded as UTF-8.
    """
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
        return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text
    raw = bytes(data)
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(codec, "replace")
    if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        try:
            return raw.decode(encoding, "replace")
        except (LookupError, ValueError):  # unknown codec, or one that cannot "replace"
            pass
    return raw.decode("utf-8", "replace")


def load_json(data: bytes | str, file: str, limit: int) -> Any:
    """Parse a JSON document; ParseError names the file and position on any failure."""
    check_input_type(data, file)
    check_size(data, limit, file)
    text = to_text(data)
    if not text.strip():
        raise ParseError("empty document", file)
    try:
        return json.loads(text, strict=False)
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON at line {exc.lineno} column {exc.colno}", file) from None
    except RecursionError:
        raise ParseError("JSON nested too deeply", file) from None
    except ValueError as exc:  # e.g. an integer with too many digits
        raise ParseError(f"invalid JSON ({exc})", file) from None


def load_json_object(data: bytes | str, file: str, limit: int) -> dict[str, Any]:
    """Parse a JSON document that must be an object."""
    value = load_json(data, file, limit)
    if not isinstance(value, dict):
        raise ParseError(f"expected a JSON object, got {json_type(value)}", file)
    return value


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type (for messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def as_dict(value: object) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty dict."""
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    """``value`` if it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []


def as_str(value: object) -> str | None:
    """A non-empty string, numbers rendered as text; anything else None."""
    if isinstance(value, str):
        return value if value else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return None


def as_int(value: object) -> int | None:
    """An integer from an int, an integral float or a digit string; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]{1,30}\s*", value):
        return int(value)
    return None


def as_bool(value: object) -> bool | None:
    """A JSON boolean (or the strings "true"/"false"); else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def str_dict(value: object) -> dict[str, str]:
    """The string-valued entries of a JSON object (other values are dropped)."""
    out: dict[str, str] = {}
    for key, item in as_dict(value).items():
        text = as_str(item)
        if isinstance(key, str) and text is not None:
            out[key] = text
    return out


def first_str(*values: object) -> str | None:
    """The first value that is a non-empty string (after :func:`as_str`)."""
    for value in values:
        text = as_str(value)
        if text is not None and text.strip():
            return text
    return None


_EPOCH_RE = re.compile(r"[+-]?[0-9]{1,20}(\.[0-9]{0,12})?")
_RFC3339_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_timestamp(value: object) -> datetime | None:
    """Epoch seconds (int, float or digit string) or RFC 3339 text → aware UTC datetime.

    Anything else (garbage, out of range, NaN, booleans) gives None; this never raises.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return _from_epoch(value)
    if not isinstance(value, str) or len(value) > 80:
        return None
    return _parse_timestamp_text(value)


@functools.lru_cache(maxsize=4096)
def _parse_timestamp_text(value: str) -> datetime | None:
    """Epoch digits or RFC 3339 text (cached: event lists repeat the same stamps)."""
    text = value.strip()
    if not text or len(text) > 64:
        return None
    if _EPOCH_RE.fullmatch(text):
        try:
            return _from_epoch(float(text))
        except (ValueError, OverflowError):
            return None
    match = _RFC3339_RE.fullmatch(text)
    if not match:
        return None
    year, month, day, hour, minute, second, frac, zone = match.groups()
    try:
        micro = int((frac or "0")[:6].ljust(6, "0"))
        result = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micro,
            tzinfo=_zone(zone),
        )
        return result.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None


def _zone(zone: str | None) -> timezone:
    if not zone or zone in ("Z", "z", "UTC"):
        return timezone.utc
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _from_epoch(value: float) -> datetime | None:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        return _EPOCH + timedelta(seconds=value)
    except (OverflowError, ValueError):
        return None
