"""DiscoverInputSchema: sample a Kinesis data stream or an S3 object and infer a SQL-1_0 input schema.

The sample is read through the configured AWS endpoint (the embedded moto by default) in the account
the source's ARN names (the caller's for S3), exactly as an application's own reads are. Nothing is
stored. Local sources are never throttled, so ResourceProvisionedThroughputExceededException and
ServiceUnavailableException are not raised; a source that cannot be read is an InvalidArgumentException
naming it, and a sample nothing can be inferred from is an UnableToDetectSchemaException that carries the
raw (and processed) records, as AWS's does.
"""

from __future__ import annotations

import re
import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from api_models import errors
from api_models.models import (
    DiscoverInputSchemaRequest,
    DiscoverInputSchemaResponse,
    InputStartingPosition,
    S3Configuration,
    SourceSchema,
)
from app.services.aws import aws_client
from app.services.context import RequestContext
from app.services.schema_inference import Inferred, decode, infer_object, infer_records

SAMPLE_LIMIT = 100
"""At most this many records are sampled (and returned)."""
OBJECT_READ_BYTES = 1024 * 1024
"""At most this much of an S3 object is read."""
NOW_WAIT_SECONDS = 5.0
"""How long a ``NOW`` discovery waits for records to arrive on the stream."""
_POLL_INTERVAL = 0.2

_STREAM_ARN = re.compile(r"arn:aws[a-z-]*:kinesis:([a-z0-9-]+):(\d{12}):stream/([A-Za-z0-9_.-]{1,128})")
_FIREHOSE_ARN = re.compile(r"arn:aws[a-z-]*:firehose:[a-z0-9-]+:\d{12}:deliverystream/.+")
_BUCKET_ARN = re.compile(r"arn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])")


class SchemaNotDetected(errors.UnableToDetectSchemaException):
    """UnableToDetectSchemaException with the sampled records, written into the error body."""

    def __init__(self, message: str, raw: list[str]) -> None:
        super().__init__(message)
        self.members: dict[str, Any] = {"RawInputRecords": raw, "ProcessedInputRecords": raw}


def discover_input_schema(
    ctx: RequestContext, request: DiscoverInputSchemaRequest
) -> DiscoverInputSchemaResponse:
    """Sample the source the request names and infer its schema (see the module docstring)."""
    if request.input_processing_configuration is not None:
        raise errors.UnsupportedOperationException(
            "msf-local does not run input preprocessors: InputProcessingConfiguration (a Lambda function) "
            "is not supported by DiscoverInputSchema"
        )
    if (request.resource_arn is None) == (request.s3_configuration is None):
        raise errors.InvalidArgumentException(
            "Specify either ResourceARN (with InputStartingPositionConfiguration) or S3Configuration"
        )
    if request.s3_configuration is not None:
        if request.input_starting_position_configuration is not None:
            raise errors.InvalidArgumentException(
                "InputStartingPositionConfiguration applies to a streaming source, not to S3Configuration"
            )
        raw_records, inferred = _discover_object(ctx, request.s3_configuration)
    else:
        assert request.resource_arn is not None
        records = _sample_stream(ctx, request.resource_arn, _starting_position(request))
        raw_records = [decode(record) for record in records]
        inferred = infer_records(records)
    if inferred is None:
        reason = "the records are neither JSON nor delimited text" if raw_records else "no records were found"
        raise SchemaNotDetected(f"Unable to detect a schema from the sample: {reason}", raw_records)
    return DiscoverInputSchemaResponse(
        input_schema=SourceSchema.model_validate(inferred.schema),
        parsed_input_records=inferred.parsed[:SAMPLE_LIMIT],
        processed_input_records=raw_records,
        raw_input_records=raw_records,
    )


def _starting_position(request: DiscoverInputSchemaRequest) -> InputStartingPosition:
    configured = request.input_starting_position_configuration
    position = configured.input_starting_position if configured is not None else None
    if position is InputStartingPosition.LAST_STOPPED_POINT:
        raise errors.InvalidArgumentException(
            "LAST_STOPPED_POINT applies to a running application's input; discovery takes NOW or TRIM_HORIZON"
        )
    return position or InputStartingPosition.NOW


def _sample_stream(ctx: RequestContext, arn: str, position: InputStartingPosition) -> list[bytes]:
    """Up to SAMPLE_LIMIT records from every shard of the stream (NOW: those arriving within the wait)."""
    if _FIREHOSE_ARN.fullmatch(arn):
        raise errors.UnsupportedOperationException(
            "msf-local cannot sample a Kinesis Data Firehose delivery stream; use a Kinesis data stream or S3"
        )
    match = _STREAM_ARN.fullmatch(arn)
    if match is None:
        raise errors.InvalidArgumentException(f"ResourceARN {arn} is not the ARN of a Kinesis data stream")
    region, account, name = match.groups()
    kinesis = aws_client(ctx.settings, "kinesis", account, region)
    iterator_type = "TRIM_HORIZON" if position is InputStartingPosition.TRIM_HORIZON else "LATEST"
    try:
        shards = kinesis.list_shards(StreamName=name)["Shards"]
        iterators = [
            kinesis.get_shard_iterator(
                StreamName=name, ShardId=s["ShardId"], ShardIteratorType=iterator_type
            )["ShardIterator"]
            for s in shards
        ]
        return _read_shards(kinesis, iterators, wait=NOW_WAIT_SECONDS if iterator_type == "LATEST" else 0.0)
    except (ClientError, BotoCoreError) as exc:
        raise _unreadable(f"Kinesis stream {name} in account {account}", exc) from exc


def _read_shards(kinesis: Any, iterators: list[str], wait: float) -> list[bytes]:
    """Read rounds over all shards until the sample is full, or a round reads nothing (after records came
    or the wait is over)."""
    records: list[bytes] = []
    deadline = time.monotonic() + wait
    while iterators and len(records) < SAMPLE_LIMIT:
        before = len(records)
        following: list[str] = []
        for iterator in iterators:
            if len(records) >= SAMPLE_LIMIT:
                break
            answer = kinesis.get_records(ShardIterator=iterator, Limit=SAMPLE_LIMIT - len(records))
            records.extend(record["Data"] for record in answer["Records"])
            if answer.get("NextShardIterator"):
                following.append(answer["NextShardIterator"])
        iterators = following
        if len(records) == before:
            if records or time.monotonic() >= deadline:
                break
            time.sleep(_POLL_INTERVAL)
    return records


def _discover_object(ctx: RequestContext, location: S3Configuration) -> tuple[list[str], Inferred | None]:
    """The object's lines (at most SAMPLE_LIMIT) and what its content infers to."""
    match = _BUCKET_ARN.fullmatch(location.bucket_arn)
    if match is None:
        raise errors.InvalidArgumentException(
            f"BucketARN {location.bucket_arn} is not the ARN of an S3 bucket"
        )
    bucket = match.group(1)
    s3 = aws_client(ctx.settings, "s3", ctx.scope.account_id, ctx.scope.region)
    what = f"S3 object s3://{bucket}/{location.file_key}"
    try:
        answer = s3.get_object(Bucket=bucket, Key=location.file_key, Range=f"bytes=0-{OBJECT_READ_BYTES - 1}")
        body: bytes = answer["Body"].read()
        size = int(answer.get("ContentRange", "/0").rpartition("/")[2] or len(body))
    except (ClientError, BotoCoreError) as exc:
        raise _unreadable(what, exc) from exc
    if size > len(body):
        body = body[: body.rfind(b"\n") + 1] or body
    lines = [decode(line) for line in body.splitlines() if line.strip()]
    return lines[:SAMPLE_LIMIT], infer_object(body)


def _unreadable(what: str, exc: Exception) -> errors.InvalidArgumentException:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        detail = f"{error.get('Code', 'Error')}: {error.get('Message', '')}".rstrip(": ")
    else:
        detail = f"{type(exc).__name__}: {exc}"
    return errors.InvalidArgumentException(f"Cannot read {what} ({detail})")
