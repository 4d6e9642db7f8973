"""Hostile and sloppy input where fuzzing rarely goes: huge bodies, deep nesting, bad bytes and types."""

from __future__ import annotations

import copy
import json
import select
import socket
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from app.clients.catalog import target
from app.clients.story import example_body
from tests.clients.conftest import ServeProcess, serving

CONTENT_TYPE = "application/x-amz-json-1.1"
SMALL_LIMIT = 1024 * 1024
TEN_MB = 10 * 1024 * 1024
SHAPE_ERRORS = {"ValidationException", "SerializationException"}


@pytest.fixture(scope="module")
def small_limit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """A server that accepts bodies of at most 1 MiB (``MSF_MAX_BODY_BYTES``)."""
    with serving(tmp_path_factory.mktemp("limit") / "data", MSF_MAX_BODY_BYTES=str(SMALL_LIMIT)) as served:
        yield served


def post(server: ServeProcess, operation: str, body: bytes | str, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/",
        headers={"X-Amz-Target": target(operation), "Content-Type": CONTENT_TYPE, **headers},
        content=body,
        timeout=60,
    )


def assert_aws_error(response: httpx.Response, status: int, codes: set[str]) -> dict[str, Any]:
    """``response`` is the AWS error ``status`` with a ``__type`` among ``codes``; returns its body."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith(CONTENT_TYPE)
    body: dict[str, Any] = response.json()
    assert set(body) == {"__type", "message"} and body["__type"] in codes, body
    assert response.headers["x-amzn-errortype"] == body["__type"]
    return body


def raw_exchange(server: ServeProcess, head: bytes, chunks: Iterable[bytes]) -> bytes:
    """Send ``head``, then ``chunks`` until the server answers; return its whole answer (bounded waits)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head)
        for chunk in chunks:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):  # it stopped reading: it answered
                break
        answer = b""
        while True:  # each recv waits at most the socket's 30 s timeout
            data = sock.recv(65536)
            if not data:
                return answer
            answer += data
            head_part, separator, body = answer.partition(b"\r\n\r\n")
            lengths = [
                line for line in head_part.split(b"\r\n") if line.lower().startswith(b"content-length:")
            ]
            if separator and lengths and len(body) >= int(lengths[0].split(b":", 1)[1]):
                return answer


def parse_raw(answer: bytes) -> tuple[int, dict[str, Any]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def request_head(server: ServeProcess, operation: str, **extra: str) -> bytes:
    lines = [
        "POST / HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        f"X-Amz-Target: {target(operation)}",
        f"Content-Type: {CONTENT_TYPE}",
        *(f"{name}: {value}" for name, value in extra.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def json_body_of(size: int) -> Iterator[bytes]:
    """A JSON body of about ``size`` bytes in 64 kB pieces."""
    piece = b" " * 65536
    yield b'{"ApplicationName": "big", "ApplicationDescription": "'
    for _ in range(size // len(piece)):
        yield piece
    yield b'"}'


def chunked(pieces: Iterable[bytes], sent: list[int]) -> Iterator[bytes]:
    """``pieces`` in HTTP/1.1 chunked encoding, counting the bytes handed to the socket in ``sent``."""
    for piece in pieces:
        chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
        sent[0] += len(chunk)
        yield chunk


def test_ten_mb_body_is_refused_with_413_before_it_is_read(small_limit_server: ServeProcess) -> None:
    head = request_head(small_limit_server, "CreateApplication", **{"Content-Length": str(TEN_MB + 64)})
    # Only the head is sent: the server must answer from the declared length alone.
    status, body = parse_raw(raw_exchange(small_limit_server, head, []))
    assert status == 413 and body["__type"] == "RequestEntityTooLargeException", body
    assert str(SMALL_LIMIT) in body["message"]


def test_ten_mb_chunked_body_is_refused_with_413_while_streaming(small_limit_server: ServeProcess) -> None:
    head = request_head(small_limit_server, "CreateApplication", **{"Transfer-Encoding": "chunked"})
    status, body = parse_raw(raw_exchange(small_limit_server, head, chunked(json_body_of(TEN_MB), [0])))
    assert status == 413 and body["__type"] == "RequestEntityTooLargeException", body


def test_an_endless_chunked_body_is_answered_long_before_its_end(small_limit_server: ServeProcess) -> None:
    sent = [0]
    head = request_head(small_limit_server, "CreateApplication", **{"Transfer-Encoding": "chunked"})
    status, _ = parse_raw(
        raw_exchange(small_limit_server, head, chunked(json_body_of(64 * 1024 * 1024), sent))
    )
    assert status == 413
    assert sent[0] < 32 * 1024 * 1024, f"the server let {sent[0]} bytes be sent before answering"


def test_a_declared_100_gb_body_is_refused_with_413_at_the_default_limit(serve: ServeProcess) -> None:
    head = request_head(serve, "DescribeApplication", **{"Content-Length": str(100 * 1024**3)})
    status, body = parse_raw(raw_exchange(serve, head, []))
    assert status == 413 and body["__type"] == "RequestEntityTooLargeException", body


def test_ten_mb_body_under_the_default_limit_is_validated_not_crashed(serve: ServeProcess) -> None:
    body = json.dumps({"ApplicationName": "big", "ApplicationDescription": "d" * TEN_MB})
    error = assert_aws_error(post(serve, "DescribeApplication", body), 400, {"ResourceNotFoundException"})
    assert "big" in error["message"]
    create = {**example_body("CreateApplication"), "ApplicationDescription": "d" * TEN_MB}
    error = assert_aws_error(post(serve, "CreateApplication", json.dumps(create)), 400, SHAPE_ERRORS)
    assert "applicationDescription" in error["message"] and "1024" in error["message"]


@pytest.mark.parametrize("depth", [100, 900, 5_000, 100_000])
def test_deeply_nested_json_is_refused_or_ignored(serve: ServeProcess, depth: int) -> None:
    arrays = b'{"ApplicationName": ' + b"[" * depth + b"]" * depth + b"}"
    assert_aws_error(post(serve, "DescribeApplication", arrays), 400, SHAPE_ERRORS)
    objects = b'{"Limit": 5, "Unknown": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"
    response = post(serve, "ListApplications", objects)
    if response.status_code != 200:  # unknown members are ignored, unless too deep to parse at all
        assert_aws_error(response, 400, {"SerializationException"})
    inside = copy.deepcopy(example_body("CreateApplication"))
    inside["ApplicationConfiguration"]["EnvironmentProperties"]["PropertyGroups"] = json.loads(
        "[" * min(depth, 500) + "]" * min(depth, 500)
    )
    assert_aws_error(post(serve, "CreateApplication", json.dumps(inside)), 400, SHAPE_ERRORS)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"ApplicationName": "\xff\xfe"}',
        b'{"ApplicationName": "caf\xc3"}',
        b'\xef\xbb\xbf{"ApplicationName": "bom"}',
        b'{"ApplicationName": "\xed\xa0\x80"}',
        b'{"ApplicationName": "\\ud800"}',
        b'{"ApplicationName": "nul\\u0000"}',
    ],
)
def test_invalid_utf8_and_bad_strings_are_refused(serve: ServeProcess, raw: bytes) -> None:
    assert_aws_error(post(serve, "DescribeApplication", raw), 400, SHAPE_ERRORS)


@pytest.mark.parametrize(
    ("operation", "raw"),
    [
        ("ListApplications", b'{"Limit": 100000000000000000000000000000}'),
        ("ListApplications", b'{"Limit": -2147483649}'),
        ("ListApplications", b'{"Limit": 1e400}'),
        ("ListApplications", b'{"Limit": -1e400}'),
        ("ListApplications", b'{"Limit": 1.5}'),
        ("ListApplications", b'{"Limit": 51}'),
        ("ListApplications", b'{"Limit": 0}'),
        ("ListApplications", b'{"Limit": ' + b"9" * 5000 + b"}"),
        ("ListApplications", b'{"Limit": NaN}'),
        ("ListApplications", b'{"Limit": Infinity}'),
        (
            "DescribeApplicationVersion",
            b'{"ApplicationName": "a", "ApplicationVersionId": 9223372036854775808}',
        ),
        ("DescribeApplicationVersion", b'{"ApplicationName": "a", "ApplicationVersionId": 1000000000}'),
        ("DeleteApplication", b'{"ApplicationName": "a", "CreateTimestamp": 1e308}'),
        ("DeleteApplication", b'{"ApplicationName": "a", "CreateTimestamp": -1e308}'),
        ("DeleteApplication", b'{"ApplicationName": "a", "CreateTimestamp": 1e400}'),
        ("DeleteApplication", b'{"ApplicationName": "a", "CreateTimestamp": 99999999999999999999}'),
        (
            "CreateApplicationPresignedUrl",
            b'{"ApplicationName": "a", "UrlType": "FLINK_DASHBOARD_URL", '
            b'"SessionExpirationDurationInSeconds": 43201}',
        ),
    ],
)
def test_numbers_out_of_range_are_refused(serve: ServeProcess, operation: str, raw: bytes) -> None:
    assert_aws_error(post(serve, operation, raw), 400, SHAPE_ERRORS)


def wrong_values(value: Any) -> list[Any]:
    """Values of every JSON type except ``value``'s (and except "true"/"false" for booleans)."""
    candidates: list[Any] = ["text", 12345, 1.25, True, [1], {"k": "v"}]
    if isinstance(value, bool) or value in ("true", "false"):  # booleans may be sent as "true"/"false"
        return [v for v in candidates if not isinstance(v, bool)]
    if isinstance(value, int | float):
        return [v for v in candidates if isinstance(v, str | bool | list | dict)]
    if isinstance(value, str):
        return [v for v in candidates if not isinstance(v, str)]
    if isinstance(value, list):
        return [v for v in candidates if not isinstance(v, list)]
    return [v for v in candidates if not isinstance(v, dict)]


def mutations(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every (path, wrong value) pair for every node of ``value``, at every depth."""
    if path:
        for wrong in wrong_values(value):
            yield path, wrong
    if isinstance(value, dict):
        for key, item in value.items():
            yield from mutations(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from mutations(item, (*path, index))


def replaced(body: Any, path: tuple[Any, ...], wrong: Any) -> Any:
    mutated = copy.deepcopy(body)
    node = mutated
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = wrong
    return mutated


@pytest.mark.parametrize(
    "operation", ["CreateApplication", "UpdateApplication", "AddApplicationInput", "TagResource"]
)
def test_wrong_types_at_every_level_are_refused(serve: ServeProcess, operation: str) -> None:
    body = example_body(operation)
    checked = 0
    with httpx.Client(base_url=serve.url, timeout=60) as client:
        for path, wrong in mutations(body):
            response = client.post(
                "/",
                headers={"X-Amz-Target": target(operation), "Content-Type": CONTENT_TYPE},
                content=json.dumps(replaced(body, path, wrong)),
            )
            where = "/".join(map(str, path))
            assert response.status_code == 400, f"{where} = {wrong!r}: {response.text[:300]}"
            assert response.json()["__type"] in SHAPE_ERRORS, f"{where} = {wrong!r}: {response.text[:300]}"
            checked += 1
    assert checked > 20


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"42", b"null", b"true", b"{", b'{"a": }', b"{}{}"])
def test_bodies_that_are_not_one_json_object_are_refused(serve: ServeProcess, body: bytes) -> None:
    assert_aws_error(post(serve, "ListApplications", body), 400, {"SerializationException"})


@pytest.mark.parametrize(
    "value",
    [
        target("DescribeApplication") + "A" * 10_240,
        "KinesisAnalytics_20180523." + "A" * 10_240,
        "A" * 10_240,
        "Kinesis.Analytics." * 570,
    ],
)
def test_ten_kb_target_is_an_unknown_operation(serve: ServeProcess, value: str) -> None:
    response = httpx.post(
        f"{serve.url}/",
        headers={"X-Amz-Target": value, "Content-Type": CONTENT_TYPE},
        content=b"{}",
        timeout=60,
    )
    error = assert_aws_error(response, 400, {"UnknownOperationException"})
    assert len(error["message"]) < 1024, "the message must not echo 10 kB back"


def test_ten_kb_target_signed_for_kinesisanalytics_is_an_unknown_operation(serve: ServeProcess) -> None:
    request = AWSRequest(
        method="POST",
        url=f"{serve.url}/",
        data=b"{}",
        headers={"X-Amz-Target": "Bogus_" + "A" * 10_240, "Content-Type": CONTENT_TYPE},
    )
    SigV4Auth(Credentials("test", "test"), "kinesisanalytics", "us-east-1").add_auth(request)
    response = httpx.post(request.url, headers=dict(request.headers.items()), content=b"{}", timeout=60)
    assert_aws_error(response, 400, {"UnknownOperationException"})


def test_a_lone_surrogate_in_free_text_never_reaches_the_database(serve: ServeProcess) -> None:
    body = {
        **example_body("CreateApplication"),
        "ApplicationName": "surrogate",
        "ApplicationDescription": "\ud800",
    }
    raw = json.dumps(body).encode()  # ensure_ascii keeps the lone surrogate as the escape \ud800
    assert_aws_error(post(serve, "CreateApplication", raw), 400, {"SerializationException"})
    assert_aws_error(
        post(serve, "DescribeApplication", b'{"ApplicationName": "surrogate"}'),
        400,
        {"ResourceNotFoundException"},
    )
