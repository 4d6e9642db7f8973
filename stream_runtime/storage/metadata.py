"""The versioned, checksummed ``_metadata`` document that makes a checkpoint exist."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import msgpack

MAGIC = b"SRCK"
FORMAT_VERSION = 1


class MetadataError(ValueError):
    """The metadata file is corrupt, truncated or of an unknown version."""


@dataclass
class CheckpointMetadata:
    """What a completed checkpoint holds: per operator uid and subtask, the state file names."""

    checkpoint_id: int
    job_id: str
    timestamp_ms: int
    parallelism: int
    max_parallelism: int
    operators: dict[str, dict[str, Any]] = field(default_factory=dict)
    is_savepoint: bool = False
    stats: dict[str, Any] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        """Magic, version, crc32 of the body, then the msgpack body."""
        body = msgpack.packb(
            {
                "checkpoint_id": self.checkpoint_id,
                "job_id": self.job_id,
                "timestamp_ms": self.timestamp_ms,
                "parallelism": self.parallelism,
                "max_parallelism": self.max_parallelism,
                "operators": self.operators,
                "is_savepoint": self.is_savepoint,
                "stats": self.stats,
            },
            use_bin_type=True,
        )
        header = MAGIC + FORMAT_VERSION.to_bytes(2, "big") + zlib.crc32(body).to_bytes(4, "big")
        return header + body

    @classmethod
    def from_bytes(cls, data: bytes) -> CheckpointMetadata:
        """Parse and verify; raises :class:`MetadataError` on any inconsistency."""
        if len(data) < 10 or data[:4] != MAGIC:
            raise MetadataError("not a checkpoint metadata file")
        version = int.from_bytes(data[4:6], "big")
        if version != FORMAT_VERSION:
            raise MetadataError(f"unsupported metadata version {version}")
        body = data[10:]
        if zlib.crc32(body) != int.from_bytes(data[6:10], "big"):
            raise MetadataError("metadata checksum mismatch")
        doc = msgpack.unpackb(body, raw=False, strict_map_key=False)
        return cls(**doc)
