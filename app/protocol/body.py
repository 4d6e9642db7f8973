"""The request body of an AWS JSON 1.1 call: bounded reading, content type, JSON parsing."""

from __future__ import annotations

import json
from typing import Any, NoReturn

from starlette.requests import Request

from api_models import errors

JSON_MEDIA_TYPES = frozenset({"application/x-amz-json-1.1", "application/x-amz-json-1.0", "application/json"})
"""Content types a body may be sent with; a request without a Content-Type is read as JSON too."""

_MAX_DIGITS = 18  # a Content-Length longer than this is beyond any limit (and beyond int() without care)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused with a 413 as soon as it is known to exceed ``limit`` bytes.

    A declared Content-Length over the limit is refused before reading anything; otherwise the body is
    read chunk by chunk and refused at the first chunk that takes it past the limit, so no more than
    ``limit`` bytes are ever held.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and (len(declared) > _MAX_DIGITS or int(declared) > limit):
        _too_large(limit, f"of {declared} bytes ")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            _too_large(limit, "")
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int, size: str) -> NoReturn:
    raise errors.RequestEntityTooLargeException(
        f"Request body {size}exceeds the maximum of {limit} bytes this service accepts"
    )


def check_content_type(value: str | None) -> None:
    """Accept the AWS JSON content types, ``application/json`` and none at all."""
    if not value:
        return
    media_type = value.partition(";")[0].strip().lower()
    if media_type and media_type not in JSON_MEDIA_TYPES:
        raise errors.SerializationException(
            f"Unsupported Content-Type '{value[:100]}': send application/x-amz-json-1.1 or application/json"
        )


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; an empty body is ``{}``. Anything unreadable is a SerializationException."""
    if not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.SerializationException(f"Request body is not valid UTF-8 (byte {exc.start})") from None
    try:
        body = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise errors.SerializationException(
            f"Malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise errors.SerializationException("Request body is nested too deeply") from None
    except ValueError:  # the one other failure: an integer literal longer than Python converts
        raise errors.SerializationException("Request body holds a number with too many digits") from None
    if type(body) is not dict:
        raise errors.SerializationException("Request body must be a JSON object")
    return body


def _reject_constant(name: str) -> Any:
    """``NaN``, ``Infinity`` and ``-Infinity`` are not JSON."""
    raise errors.SerializationException(f"Malformed JSON: {name} is not a JSON value")
