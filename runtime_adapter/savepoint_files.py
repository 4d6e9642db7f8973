"""Checks on savepoint folders: which runtime wrote them, and whether one that arrives from outside (an
enhanced snapshot import) is a savepoint at all.

Two formats are recognised by the first bytes of ``_metadata``:

- ``embedded``: the embedded runtime's own (``stream_runtime.storage.metadata``), verified whole — magic,
  version, checksum — with every state file it names present in the folder;
- ``flink``: Apache Flink's (``org.apache.flink.runtime.checkpoint.Checkpoints``): the magic number
  ``0x4960672d``, a metadata format version Flink reads (2 to 6; Flink 2.x writes 6) and the checkpoint
  id. Its state is Flink's binary state-backend format, which only Flink restores; its body is not parsed.
"""

from __future__ import annotations

import struct
from pathlib import Path

from stream_runtime.storage.metadata import MAGIC, CheckpointMetadata, MetadataError

METADATA_FILE = "_metadata"
EMBEDDED = "embedded"
FLINK = "flink"
FLINK_MAGIC = 0x4960672D
FLINK_METADATA_VERSIONS = range(2, 7)
"""The ``MetadataSerializer`` versions of Apache Flink that are still read (1 was dropped long ago)."""


def flink_metadata_version(data: bytes) -> int | None:
    """The metadata format version of an Apache Flink ``_metadata`` file; None if it is not one."""
    if len(data) < 8 or struct.unpack(">i", data[:4])[0] != FLINK_MAGIC:
        return None
    version: int = struct.unpack(">i", data[4:8])[0]
    return version


def savepoint_format(location: str) -> str | None:
    """``embedded`` or ``flink`` for a savepoint or checkpoint folder on this disk; None if unknown."""
    metadata_file = Path(location.removeprefix("file://")) / METADATA_FILE
    try:
        with metadata_file.open("rb") as handle:
            head = handle.read(8)
    except OSError:
        return None
    if flink_metadata_version(head) is not None:
        return FLINK
    return EMBEDDED if head.startswith(MAGIC) else None


def savepoint_problem(directory: Path) -> str | None:
    """Why ``directory`` is not a self-contained savepoint; None if it is one (of either format).

    An embedded savepoint's ``_metadata`` must verify and name state files that are all present in the
    folder (a retained checkpoint that refers to shared files of its job's folder does not stand alone);
    an Apache Flink savepoint's must carry Flink's magic number, a version Flink reads and a checkpoint id.
    """
    metadata_file = directory / METADATA_FILE
    if not metadata_file.is_file():
        return f"No {METADATA_FILE} file: the location does not hold an Apache Flink savepoint"
    data = metadata_file.read_bytes()
    version = flink_metadata_version(data)
    if version is not None:
        if version not in FLINK_METADATA_VERSIONS:
            return (
                f"The Apache Flink savepoint metadata has format version {version}; the versions Apache "
                f"Flink reads are {FLINK_METADATA_VERSIONS.start} to {FLINK_METADATA_VERSIONS.stop - 1}"
            )
        if len(data) < 16:
            return "The Apache Flink savepoint metadata is truncated: it ends before the checkpoint id"
        return None
    try:
        metadata = CheckpointMetadata.from_bytes(data)
    except (MetadataError, ValueError, TypeError) as error:
        return f"The savepoint metadata is not valid: {type(error).__name__}: {error}"
    missing = sorted(
        name
        for entry in metadata.operators.values()
        for name in entry.get("files", ())
        if not (directory / name).is_file()
    )
    if missing:
        return f"The savepoint is incomplete: state files missing: {', '.join(missing[:10])}"
    if any(entry.get("shared") for entry in metadata.operators.values()):
        return "The location holds an incremental checkpoint that refers to files outside it, not a savepoint"
    return None
