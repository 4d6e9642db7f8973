"""Checks on savepoint folders that arrive from outside the runtime (enhanced snapshot imports)."""

from __future__ import annotations

from pathlib import Path

from stream_runtime.storage.metadata import CheckpointMetadata, MetadataError

METADATA_FILE = "_metadata"


def savepoint_problem(directory: Path) -> str | None:
    """Why ``directory`` is not a self-contained savepoint the embedded runtime restores; None if it is.

    A savepoint is a folder whose ``_metadata`` verifies (magic, version, checksum) and names state
    files that are all present in the folder; a retained checkpoint that refers to shared files of
    its job's folder does not stand alone and is refused.
    """
    metadata_file = directory / METADATA_FILE
    if not metadata_file.is_file():
        return f"No {METADATA_FILE} file: the location does not hold an Apache Flink savepoint"
    try:
        metadata = CheckpointMetadata.from_bytes(metadata_file.read_bytes())
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
