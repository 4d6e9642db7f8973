"""``POST /``: the AWS JSON 1.1 endpoint. Reads X-Amz-Target, parses, dispatches, serializes."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api_models import errors
from api_models.operations import OPERATIONS, OperationSpec
from api_models.service_model import TARGET_PREFIX
from app.protocol.identity import resolve_scope
from app.protocol.serialize import dump_output, load_input
from app.services.context import RequestContext, Scope
from app.services.registry import service_table

logger = logging.getLogger("msf_local.protocol")

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"

router = APIRouter()


def error_response(error: errors.AwsError, request_id: str) -> Response:
    """The wire form of an AWS error: ``__type`` + ``message``, X-Amzn-ErrorType, request id."""
    body = json.dumps({"__type": error.code, "message": error.message})
    return Response(
        content=body,
        status_code=error.status_code,
        media_type=JSON_CONTENT_TYPE,
        headers={"x-amzn-RequestId": request_id, "X-Amzn-ErrorType": error.code},
    )


def operation_for(target: str | None) -> OperationSpec:
    if not target:
        raise errors.UnknownOperationException("Missing X-Amz-Target header")
    prefix, _, name = target.partition(".")
    spec = OPERATIONS.get(name) if prefix == TARGET_PREFIX else None
    if spec is None:
        shown = target if len(target) <= 256 else target[:256] + "..."
        raise errors.UnknownOperationException(f"Unknown operation {shown}")
    return spec


def parse_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.SerializationException(f"Request body is not valid UTF-8 at byte {exc.start}") from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise errors.SerializationException(
            f"Malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise errors.SerializationException("Request body is nested too deeply") from None
    if not isinstance(body, dict):
        raise errors.SerializationException("Request body must be a JSON object")
    return body


def invoke(request: Request, spec: OperationSpec, scope: Scope, body: dict[str, Any], request_id: str) -> Any:
    """Validate the input, call the service in one transaction, serialize its output."""
    function = service_table().get(spec.method)
    if function is None:
        raise errors.NotImplementedException(f"The operation {spec.name} is not implemented by msf-local yet")
    model = load_input(spec, body)
    state = request.app.state
    with state.database.session() as session:
        ctx = RequestContext(scope=scope, session=session, settings=state.settings, request_id=request_id)
        result = function(ctx, model)
    return dump_output(spec, result)


@router.post("/")
async def aws_json_endpoint(request: Request) -> Response:
    request_id = str(uuid.uuid4())
    try:
        spec = operation_for(request.headers.get("x-amz-target"))
        raw = await request.body()
        scope = resolve_scope(request, raw)
        body = parse_body(raw)
        output = await run_in_threadpool(invoke, request, spec, scope, body, request_id)
    except errors.AwsError as error:
        return error_response(error, request_id)
    except Exception:
        logger.exception("internal failure (request %s)", request_id)
        return error_response(errors.InternalFailure("An internal error occurred"), request_id)
    return Response(
        content=json.dumps(output, separators=(",", ":")),
        media_type=JSON_CONTENT_TYPE,
        headers={"x-amzn-RequestId": request_id},
    )
