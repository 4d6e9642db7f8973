"""Which runtime wrote a savepoint folder, and why one that arrives from outside is refused."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from runtime_adapter.savepoint_files import savepoint_format, savepoint_problem

FLINK_SAVEPOINT = Path(__file__).parents[1] / "data" / "flink-savepoint"


def flink_metadata(directory: Path, version: int, body: bytes = struct.pack(">q", 7)) -> Path:
    directory.mkdir()
    (directory / "_metadata").write_bytes(struct.pack(">ii", 0x4960672D, version) + body)
    return directory


def test_a_real_flink_savepoint_is_recognised() -> None:
    assert savepoint_format(f"file://{FLINK_SAVEPOINT}") == "flink"
    assert savepoint_problem(FLINK_SAVEPOINT) is None


@pytest.mark.parametrize(
    ("version", "body", "reason"),
    [
        (9, struct.pack(">q", 7), "format version 9; the versions Apache Flink reads are 2 to 6"),
        (1, struct.pack(">q", 7), "format version 1"),
        (6, b"\x00\x01", "truncated"),
    ],
)
def test_flink_metadata_that_flink_would_not_read_is_refused(
    tmp_path: Path, version: int, body: bytes, reason: str
) -> None:
    folder = flink_metadata(tmp_path / "sp", version, body)
    problem = savepoint_problem(folder)
    assert problem is not None and reason in problem


def test_a_folder_of_neither_runtime_has_no_format(tmp_path: Path) -> None:
    (tmp_path / "_metadata").write_bytes(b"PK\x03\x04 a zip file")
    assert savepoint_format(str(tmp_path)) is None
    assert savepoint_format(str(tmp_path / "missing")) is None
