"""Log templates with drain3 (Drain, the streaming log-template miner), with bounded state.

Lines reach :class:`Templater` already masked (:mod:`prowtui.triage.masking`) and always in
the same order (builds oldest first, files and lines in order), so the clusters, their ids
and their templates are the same on every run. drain3 is imported here only, on first use.
"""

from __future__ import annotations

import re
from typing import Any

#: drain3's similarity threshold: masked lines sharing at least this share of their tokens
#: become one template (masking already removed most of what varies, so this is strict)
SIM_THRESHOLD = 0.6
#: depth of drain3's prefix tree (2 leading tokens pick the branch)
DEPTH = 4
#: clusters drain3 keeps (least recently used evicted beyond this)
MAX_CLUSTERS = 20_000
#: children per prefix-tree node
MAX_CHILDREN = 100
#: masked lines whose cluster is remembered, so a repeated line skips the tree search
MAX_KNOWN = 200_000

WILDCARD = "<*>"
_PLACEHOLDER = re.compile(r"<(?:\*|TS|UUID|IP|HEX|DUR|ID|NUM)>")


class Templater:
    """One drain3 miner: masked lines in, cluster ids out; templates read back at the end."""

    def __init__(
        self,
        *,
        sim_threshold: float = SIM_THRESHOLD,
        max_clusters: int = MAX_CLUSTERS,
    ) -> None:
        from drain3 import TemplateMiner
        from drain3.template_miner_config import TemplateMinerConfig

        config = TemplateMinerConfig()
        config.drain_sim_th = sim_threshold
        config.drain_depth = DEPTH
        config.drain_max_children = MAX_CHILDREN
        config.drain_max_clusters = max_clusters
        config.masking_instructions = []
        config.profiling_enabled = False
        self._drain: Any = TemplateMiner(config=config).drain
        self._known: dict[str, int] = {}
        self._last: dict[int, str] = {}

    def add(self, masked: str) -> int:
        """The cluster id of one masked line (the line joins or creates a cluster)."""
        cluster_id = self._known.get(masked)
        if cluster_id is not None:
            return cluster_id
        cluster, _change = self._drain.add_log_message(masked)
        cluster_id = int(cluster.cluster_id)
        self._last[cluster_id] = cluster.get_template()
        if len(self._known) < MAX_KNOWN:
            self._known[masked] = cluster_id
        return cluster_id

    def template(self, cluster_id: int) -> str:
        """The cluster's template now (or when it was last seen, if drain3 evicted it)."""
        cluster = self._drain.id_to_cluster.get(cluster_id)
        if cluster is not None:
            return str(cluster.get_template())
        return self._last[cluster_id]


def specificity(template: str) -> int:
    """Tokens of ``template`` that are not only placeholders (more: more specific)."""
    return sum(1 for token in template.split() if _PLACEHOLDER.sub("", token).strip(":,;\"'()[]"))
