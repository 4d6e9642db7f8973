"""Kinesis resharding as Kinesis does it, in the moto that serves msf-local's Kinesis.

moto 5.2 reshards in a way no consumer that follows shard lineage can read (Flink's Kinesis connector,
the KCL, the embedded runtime's ``KinesisSource``):

- records keep going to a closed parent shard after ``SplitShard`` or ``MergeShards``: moto picks the
  first shard, open or not, whose hash key range holds the key, and the parent comes first. The children
  get nothing, so a reader that moved on to them waits for ever;
- ``SplitShard`` moves the parent's records (renumbered) and ``MergeShards`` copies them into the new
  shards, so a reader that read the parent reads them again from the child.

On Kinesis a closed shard keeps its records, readable until they expire, and takes no new ones; a new
shard starts empty, and a record goes to the open shard whose hash key range holds its key. :func:`install`
makes moto do that (once per process). ``python -m app.moto_state.kinesis [moto_server options]`` runs
moto's standalone server with it (the runtime tests' Kinesis).
"""

from __future__ import annotations

import hashlib
import sys
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

_INSTALLED = "_msf_local_resharding"


def _key(partition_key: str, explicit_hash_key: str | None) -> int:
    """The 128-bit hash key of a record, as Kinesis computes it (MD5 of the partition key)."""
    if explicit_hash_key:
        return int(explicit_hash_key)
    return int(hashlib.md5(partition_key.encode("utf-8")).hexdigest(), 16)


def _open_shard_for_key(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_shard_for_key(self: Any, partition_key: str, explicit_hash_key: str) -> Any:
        shard = original(self, partition_key, explicit_hash_key)  # moto's validation and errors
        if shard is not None and shard.is_open:
            return shard
        key = _key(partition_key, explicit_hash_key)
        covering = (s for s in self.shards.values() if s.is_open and s.starting_hash <= key <= s.ending_hash)
        return next(covering, shard)

    return get_shard_for_key


def _new_shards_start_empty(original: Callable[..., Any]) -> Callable[..., Any]:
    def reshard(self: Any, *args: Any, **kwargs: Any) -> None:
        before = {shard_id: shard.records for shard_id, shard in self.shards.items()}
        original(self, *args, **kwargs)
        for shard_id, shard in self.shards.items():
            shard.records = before.get(shard_id, OrderedDict())

    return reshard


def install() -> None:
    """Patch moto's Kinesis ``Stream`` (idempotent)."""
    from moto.kinesis.models import Stream

    if getattr(Stream, _INSTALLED, False):
        return
    Stream.get_shard_for_key = _open_shard_for_key(Stream.get_shard_for_key)  # type: ignore[method-assign]
    Stream.split_shard = _new_shards_start_empty(Stream.split_shard)  # type: ignore[method-assign]
    Stream.merge_shards = _new_shards_start_empty(Stream.merge_shards)  # type: ignore[method-assign]
    setattr(Stream, _INSTALLED, True)


if __name__ == "__main__":
    from moto.server import main

    install()
    main(sys.argv[1:])
