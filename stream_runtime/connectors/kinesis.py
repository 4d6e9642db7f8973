"""Kinesis Data Streams connectors (boto3): an exactly-once-state source and an at-least-once sink.

Both take the endpoint, region and credentials the way boto3 does (``AWS_ENDPOINT_URL[_KINESIS]``,
``AWS_REGION``, ``AWS_ACCESS_KEY_ID``, ... in the environment), overridable per connector with
``endpoint_url`` / ``region_name`` or Flink-style properties (``aws.endpoint``, ``aws.region``).

**Source.** Splits are shards; a split's state is ``[shard id, position]`` with position ``["TRIM_HORIZON"]``,
``["AT_TIMESTAMP", epoch seconds]`` or ``["AFTER", sequence number of the last record emitted]``. Positions
advance only when a record is handed to the job, and the engine snapshots them between batches, so they are
the same consistent cut as the operator state: a restore resumes ``AFTER_SEQUENCE_NUMBER`` and the state sees
every record exactly once. ``LATEST`` is pinned at the first start to ``AT_TIMESTAMP`` of that moment, so a
restore does not skip what arrived while the job was down. Shards are the even-split list state of the source:
at the first start the root shards (sorted by id) go round-robin to the subtasks; a restore at another
parallelism redistributes the stored shard positions.

Resharding follows shard lineage: when a subtask reaches the end of a closed shard (``NextShardIterator`` is
null, or the shard has an ending sequence number and nothing is left to read), it adopts the shard's children
(``ParentShardId``) in the same step, so the parent's end and the children's start are in the same snapshot
and a key's records stay in order. A merged shard is adopted by the owner of its ``ParentShardId``.
Closed-shard information is refreshed with one ``ListShards`` per ``discovery_interval_s`` per subtask.

GetRecords is called at most once per ``fetch_interval_s`` per shard (Kinesis allows 5 per second);
throttling and transient errors back off exponentially per shard up to ``max_backoff_s``, and
``max_retries`` consecutive failures fail the job (which restarts from its last checkpoint).

**Sink.** Records are buffered and sent with ``PutRecords`` in batches of at most 500 records and 5 MiB.
Records a response reports as failed are retried with exponential backoff (up to ``max_retries`` attempts per
batch), as are throttled or failed requests. ``snapshot_state`` flushes the buffer, so every record before a
checkpoint is in the stream before the checkpoint completes: at-least-once, as Flink's Kinesis sink.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from stream_runtime.connectors.serialization import (
    DeserializationSchema,
    JsonSerializationSchema,
    RawBytesSchema,
    SerializationSchema,
)
from stream_runtime.functions import (
    CheckpointedFunction,
    FunctionInitializationContext,
    FunctionSnapshotContext,
    RuntimeContext,
    SinkFunction,
)
from stream_runtime.sources import Source, SourceReader

TRIM_HORIZON = "TRIM_HORIZON"
LATEST = "LATEST"
AT_TIMESTAMP = "AT_TIMESTAMP"
AFTER = "AFTER"
INITIAL_POSITIONS = (TRIM_HORIZON, LATEST, AT_TIMESTAMP)

MAX_BATCH_RECORDS = 500
MAX_BATCH_BYTES = 5 * 1024 * 1024
MAX_RECORD_BYTES = 1024 * 1024

RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "LimitExceededException",
        "ThrottlingException",
        "Throttling",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "KMSThrottlingException",
        "RequestTimeout",
    }
)

ClientFactory = Callable[[], Any]


def _kinesis_client(endpoint_url: str | None, region_name: str | None) -> Any:
    import boto3

    return boto3.client("kinesis", endpoint_url=endpoint_url, region_name=region_name)


def _is_retryable(exc: Exception) -> bool:
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code", "") in RETRYABLE_CODES
    return isinstance(exc, (ConnectionError, HTTPClientError))


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return response.get("Error", {}).get("Code", "") if isinstance(response, dict) else ""


def _epoch(value: float | datetime | str) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


def _list_shards(client: Any, stream_name: str) -> list[dict[str, Any]]:
    shards: list[dict[str, Any]] = []
    response = client.list_shards(StreamName=stream_name)
    shards.extend(response["Shards"])
    while response.get("NextToken"):
        response = client.list_shards(NextToken=response["NextToken"])
        shards.extend(response["Shards"])
    return shards


class KinesisSource(Source):
    """Reads every shard of a Kinesis stream with per-shard positions in checkpointed state.

    ``initial_position`` is ``TRIM_HORIZON`` (default), ``LATEST`` or ``AT_TIMESTAMP`` (with
    ``initial_timestamp``, epoch seconds or a datetime). ``end_marker`` makes the source bounded: a shard ends
    at a record whose data equals it (the marker is not emitted), and the source finishes when all shards did.
    ``client_factory`` replaces the boto3 client (tests).
    """

    def __init__(
        self,
        stream_name: str,
        deserialization_schema: DeserializationSchema | None = None,
        config: Mapping[str, str] | None = None,
        *,
        initial_position: str | None = None,
        initial_timestamp: float | datetime | None = None,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        max_records_per_fetch: int | None = None,
        fetch_interval_s: float | None = None,
        discovery_interval_s: float | None = None,
        max_backoff_s: float = 5.0,
        max_retries: int = 20,
        end_marker: bytes | None = None,
        client_factory: ClientFactory | None = None,
    ) -> None:
        props = dict(config or {})
        self.stream_name = stream_name
        self.schema = deserialization_schema or RawBytesSchema()
        self.initial_position = (initial_position or props.get("flink.stream.initpos", TRIM_HORIZON)).upper()
        if self.initial_position not in INITIAL_POSITIONS:
            raise ValueError(f"initial position must be one of {INITIAL_POSITIONS}")
        timestamp = (
            initial_timestamp
            if initial_timestamp is not None
            else props.get("flink.stream.initpos.timestamp")
        )
        if self.initial_position == AT_TIMESTAMP and timestamp is None:
            raise ValueError("AT_TIMESTAMP needs initial_timestamp (or flink.stream.initpos.timestamp)")
        self.initial_timestamp = None if timestamp is None else _epoch(timestamp)
        self.endpoint_url = endpoint_url or props.get("aws.endpoint")
        self.region_name = region_name or props.get("aws.region")
        self.max_records_per_fetch = max_records_per_fetch or int(
            props.get("flink.shard.getrecords.maxrecordcount", "10000")
        )
        self.fetch_interval_s = (
            fetch_interval_s
            if fetch_interval_s is not None
            else int(props.get("flink.shard.getrecords.intervalmillis", "200")) / 1000
        )
        self.discovery_interval_s = (
            discovery_interval_s
            if discovery_interval_s is not None
            else int(props.get("flink.shard.discovery.intervalmillis", "10000")) / 1000
        )
        self.max_backoff_s = max_backoff_s
        self.max_retries = max_retries
        self.end_marker = end_marker
        self._client_factory = client_factory
        self._initial: list[list[Any]] | None = None

    def client(self) -> Any:
        """A Kinesis client (one per reader)."""
        if self._client_factory is not None:
            return self._client_factory()
        return _kinesis_client(self.endpoint_url, self.region_name)

    def create_splits(self, parallelism: int, clock: Callable[[], float]) -> list[Any]:
        """Root shards (no listed parent) with the initial position, sorted by shard id; computed once."""
        if self._initial is None:
            shards = _list_shards(self.client(), self.stream_name)
            ids = {shard["ShardId"] for shard in shards}
            roots = sorted(
                shard["ShardId"]
                for shard in shards
                if shard.get("ParentShardId") not in ids and shard.get("AdjacentParentShardId") not in ids
            )
            if self.initial_position == TRIM_HORIZON:
                position: list[Any] = [TRIM_HORIZON]
            elif self.initial_position == LATEST:
                position = [AT_TIMESTAMP, time.time()]
            else:
                position = [AT_TIMESTAMP, self.initial_timestamp]
            self._initial = [[shard_id, list(position)] for shard_id in roots]
        return [[shard_id, list(position)] for shard_id, position in self._initial]

    def create_reader(self, splits: list[Any], parallelism: int, clock: Callable[[], float]) -> SourceReader:
        return KinesisShardReader(self, [[s[0], list(s[1])] for s in splits], clock)


class _Shard:
    __slots__ = (
        "backoff",
        "buffer",
        "closed",
        "end_sequence",
        "failures",
        "id",
        "iterator",
        "millis_behind",
        "next_fetch",
        "position",
    )

    def __init__(self, shard_id: str, position: list[Any]) -> None:
        self.id = shard_id
        self.position = position
        self.iterator: str | None = None
        self.buffer: deque[tuple[bytes, str]] = deque()
        self.next_fetch = 0.0
        self.backoff = 0.0
        self.failures = 0
        self.end_sequence: str | None = None
        self.closed = False
        self.millis_behind: int | None = None


class KinesisShardReader(SourceReader):
    """Reads the shards of one subtask round-robin; its snapshot is the list of shard positions."""

    INITIAL_BACKOFF_S = 0.05

    def __init__(self, source: KinesisSource, splits: list[list[Any]], clock: Callable[[], float]) -> None:
        self.source = source
        self.clock = clock
        self.client = source.client()
        self.shards = [_Shard(shard_id, position) for shard_id, position in splits]
        self.listing: dict[str, dict[str, Any]] = {}
        self.next_discovery = 0.0
        self._cursor = 0

    # -- SourceReader -------------------------------------------------------------------------------------

    def poll(self, max_records: int) -> list[Any]:
        now = self.clock()
        if self.shards and now >= self.next_discovery:
            self._discover(now)
        out: list[Any] = []
        count = len(self.shards)
        for step in range(count):
            if len(out) >= max_records or not self.shards:
                break
            shard = self.shards[(self._cursor + step) % len(self.shards)]
            if not shard.buffer and now >= shard.next_fetch:
                self._fetch(shard, now)
            self._emit(shard, max_records - len(out), out)
        if self.shards:
            self._cursor = (self._cursor + 1) % len(self.shards)
        return out

    def is_finished(self) -> bool:
        return self.source.end_marker is not None and not self.shards

    @property
    def millis_behind_latest(self) -> int | None:
        """The largest ``MillisBehindLatest`` of this reader's shards in their latest GetRecords."""
        lags = [shard.millis_behind for shard in self.shards if shard.millis_behind is not None]
        return max(lags) if lags else None

    def snapshot(self) -> list[Any]:
        return [[shard.id, list(shard.position)] for shard in self.shards]

    # -- internals ----------------------------------------------------------------------------------------

    def _discover(self, now: float) -> None:
        """One ListShards: learn which of our shards are closed, and their children."""
        self.next_discovery = now + self.source.discovery_interval_s
        try:
            shards = _list_shards(self.client, self.source.stream_name)
        except Exception as exc:
            if not _is_retryable(exc):
                raise
            return
        self.listing = {shard["ShardId"]: shard for shard in shards}
        for shard in self.shards:
            listed = self.listing.get(shard.id)
            if listed is not None:
                shard.end_sequence = listed.get("SequenceNumberRange", {}).get("EndingSequenceNumber")

    def _fetch(self, shard: _Shard, now: float) -> None:
        client = self.client
        try:
            if shard.iterator is None:
                shard.iterator = self._iterator(shard)
            response = client.get_records(
                ShardIterator=shard.iterator, Limit=self.source.max_records_per_fetch
            )
        except Exception as exc:
            if _error_code(exc) == "ExpiredIteratorException":
                shard.iterator = None
                return
            if not _is_retryable(exc):
                raise
            shard.failures += 1
            if shard.failures > self.source.max_retries:
                raise RuntimeError(
                    f"GetRecords on {shard.id} failed {shard.failures} times in a row: {exc}"
                ) from exc
            shard.backoff = min(self.source.max_backoff_s, max(self.INITIAL_BACKOFF_S, shard.backoff * 2))
            shard.next_fetch = now + shard.backoff
            return
        shard.failures = 0
        shard.backoff = 0.0
        shard.next_fetch = now + self.source.fetch_interval_s
        records = response.get("Records", [])
        shard.millis_behind = response.get("MillisBehindLatest")
        for record in records:
            shard.buffer.append((record["Data"], record["SequenceNumber"]))
        shard.iterator = response.get("NextShardIterator")
        shard.closed = shard.iterator is None or (
            shard.end_sequence is not None and not records and response.get("MillisBehindLatest", 0) == 0
        )

    def _iterator(self, shard: _Shard) -> str:
        kind = shard.position[0]
        params: dict[str, Any] = {"StreamName": self.source.stream_name, "ShardId": shard.id}
        if kind == AFTER:
            params.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=shard.position[1])
        elif kind == AT_TIMESTAMP:
            params.update(ShardIteratorType=AT_TIMESTAMP, Timestamp=shard.position[1])
        else:
            params.update(ShardIteratorType=TRIM_HORIZON)
        return str(self.client.get_shard_iterator(**params)["ShardIterator"])

    def _emit(self, shard: _Shard, budget: int, out: list[Any]) -> None:
        marker, deserialize = self.source.end_marker, self.source.schema.deserialize
        buffer = shard.buffer
        while buffer and budget > 0:
            data, sequence = buffer.popleft()
            shard.position = [AFTER, sequence]
            if marker is not None and data == marker:
                buffer.clear()
                self.shards.remove(shard)
                return
            out.append(deserialize(data))
            budget -= 1
        if shard.closed and not buffer:
            self._shard_ended(shard)

    def _shard_ended(self, shard: _Shard) -> None:
        """Replace a fully read closed shard by its children (same step, so the same snapshot)."""
        children = self._children(shard.id)
        if not children:
            try:
                self.listing = {s["ShardId"]: s for s in _list_shards(self.client, self.source.stream_name)}
            except Exception as exc:
                if not _is_retryable(exc):
                    raise
                return  # still closed and drained: tried again at the next poll
            children = self._children(shard.id)
        self.shards.remove(shard)
        known = {s.id for s in self.shards}
        self.shards.extend(_Shard(child, [TRIM_HORIZON]) for child in children if child not in known)

    def _children(self, shard_id: str) -> list[str]:
        return sorted(s["ShardId"] for s in self.listing.values() if s.get("ParentShardId") == shard_id)


FlinkKinesisConsumer = KinesisSource


class KinesisSink(SinkFunction, CheckpointedFunction):
    """Writes records to a Kinesis stream with batched ``PutRecords`` (at-least-once).

    ``partition_key_generator(value) -> str`` picks the partition key (default: a random one, as Flink's);
    ``max_retries`` bounds the attempts for a batch's failed records before the job fails; ``sleeper`` waits
    between attempts (tests inject one).
    """

    def __init__(
        self,
        stream_name: str,
        serialization_schema: SerializationSchema | None = None,
        partition_key_generator: Callable[[Any], str] | None = None,
        config: Mapping[str, str] | None = None,
        *,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        max_batch_records: int = MAX_BATCH_RECORDS,
        max_batch_bytes: int = MAX_BATCH_BYTES,
        max_retries: int = 10,
        initial_backoff_s: float = 0.05,
        max_backoff_s: float = 5.0,
        client_factory: ClientFactory | None = None,
        sleeper: Callable[[float], None] = time.sleep,
    ) -> None:
        props = dict(config or {})
        if not 0 < max_batch_records <= MAX_BATCH_RECORDS or not 0 < max_batch_bytes <= MAX_BATCH_BYTES:
            raise ValueError("PutRecords takes at most 500 records and 5 MiB per request")
        self.stream_name = stream_name
        self.schema = serialization_schema or JsonSerializationSchema()
        self.partition_key_generator = partition_key_generator or (lambda value: uuid.uuid4().hex)
        self.endpoint_url = endpoint_url or props.get("aws.endpoint")
        self.region_name = region_name or props.get("aws.region")
        self.max_batch_records = max_batch_records
        self.max_batch_bytes = max_batch_bytes
        self.max_retries = max_retries
        self.initial_backoff_s = initial_backoff_s
        self.max_backoff_s = max_backoff_s
        self.sleeper = sleeper
        self._client_factory = client_factory
        self._client: Any = None
        self._buffer: list[tuple[bytes, str]] = []
        self._buffered_bytes = 0
        self.retried_records = 0

    def initialize_state(self, context: FunctionInitializationContext) -> None:
        """Nothing is stored: the buffer is empty at every checkpoint."""

    def open(self, runtime_context: RuntimeContext) -> None:
        self._client = (
            self._client_factory()
            if self._client_factory is not None
            else _kinesis_client(self.endpoint_url, self.region_name)
        )

    def invoke(self, value: Any, context: Any = None) -> None:
        data = self.schema.serialize(value)
        key = self.partition_key_generator(value)
        size = len(data) + len(key.encode())
        if size > MAX_RECORD_BYTES:
            raise ValueError(f"record of {size} bytes exceeds the Kinesis limit of 1 MiB")
        if len(self._buffer) >= self.max_batch_records or self._buffered_bytes + size > self.max_batch_bytes:
            self.flush()
        self._buffer.append((data, key))
        self._buffered_bytes += size

    def snapshot_state(self, context: FunctionSnapshotContext) -> None:
        self.flush()

    def finish(self) -> None:
        self.flush()

    def flush(self) -> None:
        """Send everything buffered (one batch; the buffer never exceeds the batch limits)."""
        batch, self._buffer, self._buffered_bytes = self._buffer, [], 0
        attempt = 0
        while batch:
            failed = self._put(batch)
            if failed is None:
                failed_records = batch
            else:
                failed_records = [record for record, ok in zip(batch, failed, strict=True) if not ok]
            if not failed_records:
                return
            attempt += 1
            if attempt > self.max_retries:
                raise RuntimeError(
                    f"PutRecords to {self.stream_name}: {len(failed_records)} records still failing "
                    f"after {self.max_retries} retries"
                )
            self.retried_records += len(failed_records)
            self.sleeper(min(self.max_backoff_s, self.initial_backoff_s * 2 ** (attempt - 1)))
            batch = failed_records

    def _put(self, batch: list[tuple[bytes, str]]) -> list[bool] | None:
        """Per-record success, or ``None`` when the whole request failed retryably."""
        try:
            response = self._client.put_records(
                StreamName=self.stream_name,
                Records=[{"Data": data, "PartitionKey": key} for data, key in batch],
            )
        except Exception as exc:
            if _is_retryable(exc):
                return None
            raise
        results = response["Records"]
        for result in results:
            code = result.get("ErrorCode")
            if code is not None and code not in RETRYABLE_CODES:
                raise RuntimeError(
                    f"PutRecords to {self.stream_name} failed: {code}: {result.get('ErrorMessage')}"
                )
        return ["ErrorCode" not in result for result in results]

    def close(self) -> None:
        self._buffer, self._buffered_bytes = [], 0


KinesisStreamsSink = KinesisSink
