"""``POST /``: the AWS JSON 1.1 endpoint. Reads X-Amz-Target, parses, dispatches, serializes.

Each request goes: body (bounded: 413 past ``settings.max_body_bytes``) → identity (SigV4 → Scope; 403s in
strict mode) → operation from X-Amz-Target → content type and JSON → validation against the input shape →
the service function in one transaction → output. Every failure is an AWS error written by
:func:`error_response`; anything unexpected is logged and answered as a 500 ``InternalFailure``.

Service functions block on the database, so they run on the app's pool of service threads, except
the read-only operations in :data:`LOOP_READS` on SQLite: those run on the event loop itself, on a
connection of their own. A WAL-mode SQLite read never waits for a writer and takes a few dozen
microseconds, far less than the hop to a thread and back, and it keeps the GIL from being handed
between threads under load (which is what made DescribeApplication's p99 several times its p50).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.types import Receive, Send
from starlette.types import Scope as AsgiScope

from api_models import errors
from api_models.operations import OPERATIONS, OperationSpec
from api_models.service_model import TARGET_PREFIX
from app.db.scope import Scope
from app.db.session import Database
from app.protocol.body import check_content_type, parse_json_object, read_body
from app.protocol.identity import resolve_scope
from app.protocol.serialize import dump_output, load_input
from app.services.context import RequestContext
from app.services.registry import service_table

logger = logging.getLogger("msf_local.protocol")

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
_SHOWN_TARGET_LIMIT = 256
SERVICE_THREADS = 32
"""Threads running service calls (which block on the database) off the event loop."""

LOOP_READS = frozenset({"DescribeApplication"})
"""Operations run on the event loop with SQLite. Each must only read the database: one short query
(its service function may not write, call the runtime or any other service, or wait on anything)."""


@asynccontextmanager
async def service_threads(app: FastAPI) -> AsyncIterator[None]:
    """The app's pool of service threads, and with SQLite the event loop's own reader, while it runs.

    A plain executor costs a fraction of anyio's ``run_in_threadpool`` per call under concurrent load.
    The reader is a separate engine used only from the event loop's thread, so it never holds more
    than one connection and never waits for the pool that the service threads share.
    """
    executor = ThreadPoolExecutor(max_workers=SERVICE_THREADS, thread_name_prefix="msf-service")
    app.state.service_executor = executor
    url = app.state.settings.effective_database_url
    reader = Database(url) if url.startswith("sqlite") else None
    app.state.loop_reader = reader
    try:
        yield
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
        if reader is not None:
            reader.dispose()


router = APIRouter(lifespan=service_threads)


def error_response(error: errors.AwsError, request_id: str) -> Response:
    """The wire form of an AWS error: ``__type`` + ``message`` (+ the error's modeled ``members``, if any),
    X-Amzn-ErrorType, request id."""
    body = json.dumps({"__type": error.code, "message": error.message, **getattr(error, "members", {})})
    return Response(
        content=body,
        status_code=error.status_code,
        media_type=JSON_CONTENT_TYPE,
        headers={"x-amzn-RequestId": request_id, "X-Amzn-ErrorType": error.code},
    )


def operation_for(target: str | None) -> OperationSpec:
    """The operation an ``X-Amz-Target`` header names; UnknownOperationException otherwise."""
    if not target:
        raise errors.UnknownOperationException("Missing X-Amz-Target header")
    prefix, _, name = target.partition(".")
    spec = OPERATIONS.get(name) if prefix == TARGET_PREFIX else None
    if spec is None:
        shown = target if len(target) <= _SHOWN_TARGET_LIMIT else target[:_SHOWN_TARGET_LIMIT] + "..."
        raise errors.UnknownOperationException(f"Unknown operation {shown}")
    return spec


def invoke(
    request: Request,
    spec: OperationSpec,
    scope: Scope,
    body: dict[str, Any],
    request_id: str,
    database: Database,
) -> bytes:
    """Validate the input, call the service in one transaction on ``database``, serialize its output."""
    model = load_input(spec, body)
    function = service_table().get(spec.method)
    if function is None:
        raise errors.NotImplementedException(f"The operation {spec.name} is not implemented by msf-local yet")
    state = request.app.state
    with database.session() as session:
        ctx = RequestContext(
            scope=scope,
            session=session,
            settings=state.settings,
            request_id=request_id,
            details=state.details,
        )
        result = function(ctx, model)
    return dump_output(spec, result)


async def aws_json_endpoint(request: Request) -> Response:
    """The one endpoint: every kinesisanalyticsv2 operation is a POST / named by its X-Amz-Target."""
    request_id, output = await answer(request)
    if isinstance(output, Response):
        return output
    return Response(content=output, media_type=JSON_CONTENT_TYPE, headers={"x-amzn-RequestId": request_id})


async def answer(request: Request) -> tuple[str, bytes | Response]:
    """The request id and the output of a successful call, or the error response of a failed one."""
    request_id = str(uuid.uuid4())
    try:
        raw = await read_body(request, request.app.state.settings.max_body_bytes)
        scope = resolve_scope(request, raw)
        spec = operation_for(request.headers.get("x-amz-target"))
        check_content_type(request.headers.get("content-type"))
        body = parse_json_object(raw)
        state = request.app.state
        if spec.name in LOOP_READS and state.loop_reader is not None:
            output = invoke(request, spec, scope, body, request_id, state.loop_reader)
        else:
            output = await asyncio.get_running_loop().run_in_executor(
                state.service_executor, invoke, request, spec, scope, body, request_id, state.database
            )
            if not spec.name.startswith(_READ_ONLY_PREFIXES):
                _wake_control_loop(state)
    except errors.AwsError as error:
        return request_id, error_response(error, request_id)
    except Exception:
        logger.exception("internal failure (request %s)", request_id)
        return request_id, error_response(errors.InternalFailure("An internal error occurred"), request_id)
    return request_id, output


_READ_ONLY_PREFIXES = ("Describe", "List", "Discover")


def _wake_control_loop(state: Any) -> None:
    """A call that may have asked for a change wakes this process's control loop (if it runs here), so
    the change starts now rather than at the loop's next interval."""
    wake = getattr(state, "wake_control_loop", None)
    if wake is not None:
        wake()


_TARGET_HEADER = b"x-amz-target"
_OUR_TARGETS = (TARGET_PREFIX + ".").encode()


def is_aws_json_request(scope: AsgiScope) -> bool:
    """Whether an ASGI request is ``POST /`` naming one of our operations in its X-Amz-Target."""
    if scope["type"] != "http" or scope["path"] != "/" or scope["method"] != "POST":
        return False
    for name, value in scope["headers"]:
        if name == _TARGET_HEADER:
            return bool(value.startswith(_OUR_TARGETS))
    return False


_CONTENT_TYPE_HEADER = (b"content-type", JSON_CONTENT_TYPE.encode())


async def aws_json_asgi(scope: AsgiScope, receive: Receive, send: Send) -> None:
    """:func:`aws_json_endpoint` as a bare ASGI app (it answers every failure itself); a success is
    written straight to ``send``, without building a Response object."""
    request_id, output = await answer(Request(scope, receive))
    if isinstance(output, Response):
        await output(scope, receive, send)
        return
    headers = [
        (b"content-length", b"%d" % len(output)),
        _CONTENT_TYPE_HEADER,
        (b"x-amzn-requestid", request_id.encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": output})


# A plain Starlette route: the endpoint reads the request itself, so FastAPI's per-request dependency and
# response-model machinery would only add latency to the hot path.
router.add_route("/", aws_json_endpoint, methods=["POST"], include_in_schema=False)
