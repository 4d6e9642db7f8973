"""Flink-like directory layout on top of a :class:`CheckpointStorage`: ``<job-id>/chk-N/_metadata``."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from stream_runtime.storage.base import CheckpointStorage
from stream_runtime.storage.metadata import CheckpointMetadata, MetadataError

METADATA_FILE = "_metadata"
CHECKPOINT_PREFIX = "chk-"
COUNTER_FILE = "_checkpoint_counter"
STATS_FILE = "_checkpoint_stats.json"
STATS_HISTORY = 100
SAVEPOINT_PREFIX = "savepoint-"
_CHK_RE = re.compile(r"^chk-(\d+)$")


def savepoint_name(job_id: str, request_id: str) -> str:
    """``savepoint-<first 6 chars of the job id>-<12 hex>``, the hex derived from the request id: whoever
    knows the request (a supervisor that restarted meanwhile) finds its savepoint without being told."""
    return f"{SAVEPOINT_PREFIX}{job_id[:6]}-{hashlib.sha256(request_id.encode()).hexdigest()[:12]}"


@dataclass(frozen=True)
class CompletedCheckpointRef:
    """A checkpoint whose ``_metadata`` exists and verifies."""

    checkpoint_id: int
    directory: str
    metadata: CheckpointMetadata


class CheckpointLayout:
    """Knows where a job's checkpoints, counter and statistics live."""

    def __init__(self, storage: CheckpointStorage, job_id: str) -> None:
        self.storage = storage
        self.job_id = job_id

    def checkpoint_dir(self, checkpoint_id: int) -> str:
        """Relative folder of checkpoint ``checkpoint_id``."""
        return f"{self.job_id}/{CHECKPOINT_PREFIX}{checkpoint_id}"

    def checkpoint_ids(self) -> list[int]:
        """Ids of every ``chk-N`` folder, complete or torn, ascending."""
        ids = []
        for name in self.storage.list_dir(self.job_id):
            match = _CHK_RE.match(name)
            if match:
                ids.append(int(match.group(1)))
        return sorted(ids)

    def load_completed(self, checkpoint_id: int) -> CompletedCheckpointRef | None:
        """The checkpoint if its metadata exists and verifies, else ``None``."""
        directory = self.checkpoint_dir(checkpoint_id)
        try:
            raw = self.storage.read(f"{directory}/{METADATA_FILE}")
            metadata = CheckpointMetadata.from_bytes(raw)
        except (FileNotFoundError, MetadataError):
            return None
        return CompletedCheckpointRef(checkpoint_id, directory, metadata)

    def completed(self) -> list[CompletedCheckpointRef]:
        """All completed checkpoints, oldest first."""
        refs = (self.load_completed(i) for i in self.checkpoint_ids())
        return [ref for ref in refs if ref is not None]

    def latest_completed(self) -> CompletedCheckpointRef | None:
        """The newest completed checkpoint, if any."""
        for checkpoint_id in reversed(self.checkpoint_ids()):
            ref = self.load_completed(checkpoint_id)
            if ref is not None:
                return ref
        return None

    def clean_torn(self) -> list[int]:
        """Delete ``chk-N`` folders without valid metadata; returns their ids."""
        torn = [i for i in self.checkpoint_ids() if self.load_completed(i) is None]
        for checkpoint_id in torn:
            self.storage.delete_tree(self.checkpoint_dir(checkpoint_id))
        return torn

    def read_counter(self) -> int:
        """Highest checkpoint id ever handed out for this job (0 when none)."""
        try:
            stored = int(self.storage.read(f"{self.job_id}/{COUNTER_FILE}").decode())
        except (FileNotFoundError, ValueError):
            stored = 0
        ids = self.checkpoint_ids()
        return max([stored, *ids])

    def write_counter(self, value: int) -> None:
        """Persist the id counter so ids only increase across restarts."""
        self.storage.publish(f"{self.job_id}/{COUNTER_FILE}", str(value).encode())

    def read_stats(self) -> list[dict[str, Any]]:
        """Checkpoint statistics history (newest last), readable after the job died."""
        try:
            return list(json.loads(self.storage.read(f"{self.job_id}/{STATS_FILE}")))
        except (FileNotFoundError, ValueError):
            return []

    def write_stats(self, history: list[dict[str, Any]]) -> None:
        """Replace the statistics history (bounded to the last entries)."""
        payload = json.dumps(history[-STATS_HISTORY:]).encode()
        self.storage.publish(f"{self.job_id}/{STATS_FILE}", payload)
