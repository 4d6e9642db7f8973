"""The embedded services' journal: records read back in order, a torn or corrupt tail cut off, and which
requests count as changes (only those are journaled)."""

from __future__ import annotations

from pathlib import Path

from app.moto_state.journal import JournalWriter, encode, journal_generations, journal_path, read_records
from app.moto_state.store import mutates


def _write(path: Path, count: int) -> list[int]:
    writer = JournalWriter(path)
    ends = []
    for index in range(count):
        writer.append(encode({"n": index}, bytes([index]) * (index + 1)))
        ends.append(writer.size)
    writer.close()
    return ends


def test_records_come_back_in_order(tmp_path: Path) -> None:
    path = journal_path(tmp_path, 3)
    _write(path, 3)
    assert [(meta["n"], body) for meta, body in read_records(path)] == [
        (0, b"\0"),
        (1, b"\1\1"),
        (2, b"\2\2\2"),
    ]
    assert journal_generations(tmp_path) == [3]


def test_a_torn_last_record_is_cut_off(tmp_path: Path) -> None:
    path = journal_path(tmp_path, 0)
    ends = _write(path, 3)
    with path.open("r+b") as file:  # the machine died in the middle of the third record
        file.truncate(ends[2] - 2)
    assert [meta["n"] for meta, _ in read_records(path)] == [0, 1]
    assert path.stat().st_size == ends[1]
    _write(path, 1)  # appending goes on after the last whole record
    assert [meta["n"] for meta, _ in read_records(path)] == [0, 1, 0]


def test_a_corrupt_record_ends_the_journal(tmp_path: Path) -> None:
    path = journal_path(tmp_path, 0)
    ends = _write(path, 3)
    data = bytearray(path.read_bytes())
    data[ends[1] - 1] ^= 0xFF  # a flipped byte in the second record's body
    path.write_bytes(bytes(data))
    assert [meta["n"] for meta, _ in read_records(path)] == [0]
    assert path.stat().st_size == ends[0]


def test_only_requests_that_may_change_state_are_journaled() -> None:
    def environ(method: str, **extra: str) -> dict[str, str]:
        return {"REQUEST_METHOD": method, "PATH_INFO": "/", "QUERY_STRING": "", **extra}

    form = {"CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8"}
    assert not mutates(environ("GET", PATH_INFO="/bucket/key"), b"")
    assert not mutates(environ("HEAD", PATH_INFO="/bucket"), b"")
    assert mutates(environ("PUT", PATH_INFO="/bucket/key"), b"data")
    assert mutates(environ("DELETE", PATH_INFO="/bucket/key"), b"")
    assert mutates(environ("POST", PATH_INFO="/bucket", QUERY_STRING="delete"), b"<Delete/>")
    assert mutates(environ("POST", HTTP_X_AMZ_TARGET="Kinesis_20131202.PutRecords"), b"{}")
    assert not mutates(environ("POST", HTTP_X_AMZ_TARGET="Kinesis_20131202.GetRecords"), b"{}")
    assert not mutates(environ("POST", HTTP_X_AMZ_TARGET="Logs_20140328.FilterLogEvents"), b"{}")
    assert mutates(environ("POST", **form), b"Action=PutMetricAlarm&Version=2010-08-01")
    assert not mutates(environ("POST", **form), b"Action=DescribeAlarms&Version=2010-08-01")
    cbor = "/service/GraniteServiceVersion20100801/operation/"
    assert mutates(environ("POST", PATH_INFO=cbor + "PutMetricData"), b"")
    assert not mutates(environ("POST", PATH_INFO=cbor + "GetMetricData"), b"")
