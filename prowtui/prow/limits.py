"""Documented size limits for parsing an artifact whole.

A parser refuses input larger than its limit with :class:`prowtui.errors.TooLarge` instead of
allocating without bound. The limits apply to the (decompressed) bytes handed to the parser;
for ``str`` input they apply to its UTF-8 encoded length.
"""

from __future__ import annotations

MiB = 1024 * 1024

#: largest JSON document (started/finished/prowjob/podinfo/events.json) parsed whole
MAX_JSON_BYTES = 64 * MiB
#: largest junit XML document parsed whole
MAX_XML_BYTES = 64 * MiB
