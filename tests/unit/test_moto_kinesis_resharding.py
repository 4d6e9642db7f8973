"""Kinesis resharding in the moto msf-local serves: new records go to open shards, a closed shard keeps its
records, and a new shard starts empty (``app/moto_state/kinesis.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from app.moto_state import kinesis

HALF = 2**127


@pytest.fixture
def client() -> Iterator[Any]:
    kinesis.install()
    with mock_aws():
        client = boto3.client("kinesis", region_name="us-east-1")
        client.create_stream(StreamName="s", ShardCount=1)
        yield client


def put(client: Any, data: bytes, hash_key: int) -> str:
    """Put one record; the id of the shard it went to."""
    reply = client.put_record(StreamName="s", Data=data, PartitionKey="k", ExplicitHashKey=str(hash_key))
    return str(reply["ShardId"])


def shards(client: Any) -> dict[str, dict[str, Any]]:
    return {shard["ShardId"]: shard for shard in client.list_shards(StreamName="s")["Shards"]}


def read(client: Any, shard_id: str) -> list[bytes]:
    iterator = client.get_shard_iterator(StreamName="s", ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")
    records = client.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return [record["Data"] for record in records]


def test_after_a_split_records_go_to_the_children_and_the_parent_keeps_its_own(client: Any) -> None:
    (parent,) = shards(client)
    before = [put(client, b"low-1", 1), put(client, b"high-1", HALF + 1)]
    client.split_shard(StreamName="s", ShardToSplit=parent, NewStartingHashKey=str(HALF))
    low, high = sorted(set(shards(client)) - {parent})

    after = [put(client, b"low-2", 1), put(client, b"high-2", HALF + 1), put(client, b"top", 2**128 - 1)]

    assert before == [parent, parent]
    assert after == [low, high, high]
    assert "EndingSequenceNumber" in shards(client)[parent]["SequenceNumberRange"]
    assert read(client, parent) == [b"low-1", b"high-1"]
    assert read(client, low) == [b"low-2"]
    assert read(client, high) == [b"high-2", b"top"]


def test_after_a_merge_records_go_to_the_new_shard_and_the_parents_keep_their_own(client: Any) -> None:
    (parent,) = shards(client)
    client.split_shard(StreamName="s", ShardToSplit=parent, NewStartingHashKey=str(HALF))
    low, high = sorted(set(shards(client)) - {parent})
    put(client, b"low", 1)
    put(client, b"high", HALF + 1)
    client.merge_shards(StreamName="s", ShardToMerge=low, AdjacentShardToMerge=high)
    (merged,) = set(shards(client)) - {parent, low, high}

    assert put(client, b"after", 1) == merged
    assert read(client, low) == [b"low"]
    assert read(client, high) == [b"high"]
    assert read(client, merged) == [b"after"]
