"""Checkpoint duration and bytes written by the state backends, for 10^4 … 10^7 keys.

For each size the keyed state of one subtask (max parallelism 128, ``ValueState`` of an int per int key) is
loaded, then checkpointed twice: a first checkpoint of the whole state, and a second one after 1 % of the
keys were updated. A checkpoint here is the synchronous part (``copy_for_snapshot``) followed by the
asynchronous part of the checkpoint writer (encode + write the state file; for incremental RocksDB: upload the
new run files) to local disk, run back to back on one thread; "sync" is the part that pauses processing.

Backends: ``hashmap`` (heap, full snapshots), ``rocksdb`` (full canonical snapshots read from a RocksDB
checkpoint), ``rocksdb-inc`` (incremental). Each (backend, size) runs in a fresh process with a time budget.

    .venv/bin/python bench/runtime_state_backends.py [--sizes 10000,100000,1000000,10000000]
        [--backends hashmap,rocksdb,rocksdb-inc] [--budget-s 600]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAX_PARALLELISM = 128


def _backend(name: str, scratch: Path) -> Any:
    from stream_runtime.state.backends import HashMapStateBackend, KeyedBackendContext
    from stream_runtime.state.keygroups import KeyGroupAssigner, KeyGroupRange
    from stream_runtime.state.rocksdb import EmbeddedRocksDBStateBackend
    from stream_runtime.storage.local import LocalCheckpointStorage

    config: Any = (
        HashMapStateBackend()
        if name == "hashmap"
        else EmbeddedRocksDBStateBackend(incremental=name == "rocksdb-inc", local_dir=str(scratch / "local"))
    )
    storage = LocalCheckpointStorage(scratch / "checkpoints")
    context = KeyedBackendContext("op", 0, "bench", storage, True)
    backend = config.create_keyed_backend(
        KeyGroupAssigner(MAX_PARALLELISM, 1), KeyGroupRange(0, MAX_PARALLELISM - 1), context
    )
    return backend, storage


def _checkpoint(backend: Any, storage: Any, checkpoint_id: int) -> dict[str, float]:
    from stream_runtime import serde
    from stream_runtime.state.incremental import persist_keyed_snapshot

    started = time.perf_counter()
    copied = backend.copy_for_snapshot()
    sync = time.perf_counter() - started
    persisted = persist_keyed_snapshot(copied, storage, "bench")
    data = serde.dumps({"key_group_range": copied["key_group_range"]}) + b"".join(persisted.chunks)
    storage.write(f"bench/chk-{checkpoint_id}/op0-0.state", data)
    total = time.perf_counter() - started
    return {"sync_s": sync, "total_s": total, "bytes": len(data) + persisted.uploaded_bytes}


def run_one(backend_name: str, keys: int) -> dict[str, Any]:
    """Load ``keys`` keys, checkpoint, update 1 %, checkpoint again; figures of both checkpoints."""
    from stream_runtime.state.api import ValueStateDescriptor

    scratch = Path(tempfile.mkdtemp(prefix="bench-state-"))
    try:
        backend, storage = _backend(backend_name, scratch)
        backend.get_state(ValueStateDescriptor("value"))
        table = backend.tables["value"]
        started = time.perf_counter()
        table.update(zip(range(keys), range(keys), strict=True))
        load_s = time.perf_counter() - started
        full = _checkpoint(backend, storage, 1)
        updated = random.Random(1).sample(range(keys), max(1, keys // 100))
        table.update((key, -key) for key in updated)
        incremental = _checkpoint(backend, storage, 2)
        return {"backend": backend_name, "keys": keys, "load_s": load_s, "first": full, "second": incremental}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _fmt_bytes(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000,10000000")
    parser.add_argument("--backends", default="hashmap,rocksdb,rocksdb-inc")
    parser.add_argument("--budget-s", type=float, default=600.0, help="per (backend, size) run")
    parser.add_argument("--one", nargs=2, metavar=("BACKEND", "KEYS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]))))
        return
    rows = []
    for keys in (int(float(s)) for s in args.sizes.split(",")):
        for name in args.backends.split(","):
            try:
                done = subprocess.run(
                    [sys.executable, __file__, "--one", name, str(keys)],
                    capture_output=True,
                    text=True,
                    timeout=args.budget_s,
                    check=True,
                )
                rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            except subprocess.TimeoutExpired:
                reason = f"over the {args.budget_s:.0f} s budget"
                rows.append({"backend": name, "keys": keys, "skipped": reason})
            except subprocess.CalledProcessError as exc:
                rows.append({"backend": name, "keys": keys, "skipped": exc.stderr.strip().splitlines()[-1]})
            print(json.dumps(rows[-1]), file=sys.stderr)
    print(
        "| Keys | Backend | 1st checkpoint: duration (sync) | bytes "
        "| after 1 % updated: duration (sync) | bytes |"
    )
    print("|---:|---|---:|---:|---:|---:|")
    for row in rows:
        if "skipped" in row:
            print(f"| {row['keys']:,} | {row['backend']} | skipped: {row['skipped']} | | | |")
            continue
        first, second = row["first"], row["second"]
        print(
            f"| {row['keys']:,} | {row['backend']} "
            f"| {first['total_s'] * 1000:,.0f} ms ({first['sync_s'] * 1000:,.0f} ms) "
            f"| {_fmt_bytes(first['bytes'])} "
            f"| {second['total_s'] * 1000:,.0f} ms ({second['sync_s'] * 1000:,.0f} ms) "
            f"| {_fmt_bytes(second['bytes'])} |"
        )


if __name__ == "__main__":
    main()
