"""Benchmark of the embedded runtime (not a test).

1. Keyed count: sequence generator → key_by over 10 000 keys → ValueState counter → discarding sink,
   parallelism 1, checkpoint every 1 s; and the same job without checkpoints (overhead).
2. A checkpoint of 1 000 000 keys: its duration and the longest gap between two processed batches.
3. The same keyed count in Bytewax 0.21 with recovery on (1 s epochs), run in bench/.venv-bytewax
   (created on first use with ``pip install bytewax==0.21.1``).

Usage: .venv/bin/python bench/runtime_throughput.py [--records N] [--rounds R] [--skip-bytewax]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path
from typing import Any

from stream_runtime import (
    KeyedProcessFunction,
    SinkFunction,
    StreamExecutionEnvironment,
    ValueStateDescriptor,
)
from stream_runtime.process.launch import LaunchOptions, launch_options
from stream_runtime.sinks import DiscardingSink
from stream_runtime.storage import LocalCheckpointStorage

HERE = Path(__file__).resolve().parent
BYTEWAX_VENV = HERE / ".venv-bytewax"
BYTEWAX_VERSION = "0.21.1"
KEYS = 10_000
BIG_STATE_KEYS = 1_000_000


class Count(KeyedProcessFunction):
    """Counts records per key in ValueState and emits the new count."""

    def open(self, runtime_context: Any) -> None:
        self.count = runtime_context.get_state(ValueStateDescriptor("count"))

    def process_element(self, value: Any, ctx: Any) -> Any:
        count = (self.count.value() or 0) + 1
        self.count.update(count)
        yield count


class BatchClockSink(SinkFunction):
    """Discards records but remembers when each batch arrived (to find processing stalls)."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []

    def invoke(self, value: Any, context: Any = None) -> None:
        return None

    def invoke_batch(self, values: list[Any]) -> None:
        self.arrivals.append(time.time())


def _execute(env: StreamExecutionEnvironment) -> tuple[float, list[dict[str, Any]]]:
    storage = LocalCheckpointStorage(tempfile.mkdtemp(prefix="runtime-bench-"))
    with launch_options(LaunchOptions(job_id="bench", storage=storage, log=lambda _: None)):
        started = time.perf_counter()
        result = env.execute("keyed-count")
        return time.perf_counter() - started, result.checkpoints


def keyed_count(records: int, checkpointing: bool) -> dict[str, Any]:
    """Records/s of the keyed count with or without 1 s checkpoints."""
    env = StreamExecutionEnvironment.get_execution_environment()
    if checkpointing:
        env.enable_checkpointing(1000)
    env.from_sequence(0, records - 1).key_by(lambda n: n % KEYS).process(Count()).add_sink(DiscardingSink())
    seconds, checkpoints = _execute(env)
    return {"records_per_s": records / seconds, "seconds": seconds, "checkpoints": len(checkpoints)}


def big_state_checkpoint(records: int) -> dict[str, Any]:
    """Checkpoints of 1M keys: duration, sync part and the longest gap between processed batches."""
    env = StreamExecutionEnvironment.get_execution_environment()
    env.enable_checkpointing(1000)
    sink = BatchClockSink()
    env.from_sequence(0, records - 1).key_by(lambda n: n % BIG_STATE_KEYS).process(Count()).add_sink(sink)
    _, checkpoints = _execute(env)
    arrivals = sink.arrivals
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    full = [
        c for c in checkpoints if c["trigger_timestamp_ms"] / 1000 > arrivals[0] + 0.0 and c["state_size"]
    ]
    periodic = full[:-1] or full  # the last one is the final checkpoint at end of input
    windows = []
    for stats in periodic:
        start = stats["trigger_timestamp_ms"] / 1000
        end = start + stats["duration_ms"] / 1000
        inside = [b - a for a, b in itertools.pairwise(arrivals) if b >= start and a <= end]
        windows.append(
            {
                "id": stats["id"],
                "duration_ms": stats["duration_ms"],
                "sync_ms": stats["sync_duration_ms"],
                "state_bytes": stats["state_size"],
                "max_gap_ms": round(max(inside, default=0.0) * 1000, 1),
            }
        )
    return {"checkpoints": windows, "max_gap_overall_ms": round(max(gaps) * 1000, 1)}


def ensure_bytewax() -> Path:
    """The interpreter of a separate venv holding Bytewax (not a project dependency)."""
    python = BYTEWAX_VENV / "bin" / "python"
    if not python.exists():
        venv.create(BYTEWAX_VENV, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", f"bytewax=={BYTEWAX_VERSION}"], check=True)
    return python


def bytewax_keyed_count(records: int) -> dict[str, Any]:
    """Run bench/runtime_bytewax_flow.py in the Bytewax venv and read its JSON line."""
    python = ensure_bytewax()
    with tempfile.TemporaryDirectory(prefix="bytewax-recovery-") as recovery:
        out = subprocess.run(
            [str(python), str(HERE / "runtime_bytewax_flow.py"), str(records), str(KEYS), recovery],
            check=True,
            capture_output=True,
            text=True,
        )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    """Run all measurements and print a JSON summary with the ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=6_000_000)
    parser.add_argument("--bytewax-records", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-bytewax", action="store_true")
    args = parser.parse_args()

    with_ckpt, without = [], []
    for _ in range(args.rounds):
        without.append(keyed_count(args.records, checkpointing=False)["records_per_s"])
        with_ckpt.append(keyed_count(args.records, checkpointing=True)["records_per_s"])
    best_with, best_without = max(with_ckpt), max(without)
    paired = statistics.median(1 - w / wo for w, wo in zip(with_ckpt, without, strict=True))
    summary: dict[str, Any] = {
        "keyed_count_records_per_s_with_checkpoints": round(best_with),
        "keyed_count_records_per_s_without_checkpoints": round(best_without),
        "checkpoint_overhead_percent_best_of": round((1 - best_with / best_without) * 100, 1),
        "checkpoint_overhead_percent_median_of_pairs": round(paired * 100, 1),
        "rounds": {"with": [round(x) for x in with_ckpt], "without": [round(x) for x in without]},
        "big_state": big_state_checkpoint(max(args.records, 3 * BIG_STATE_KEYS)),
    }
    if not args.skip_bytewax:
        bytewax = max(
            (bytewax_keyed_count(args.bytewax_records) for _ in range(args.rounds)),
            key=lambda r: r["records_per_s"],
        )
        summary["bytewax_records_per_s"] = round(bytewax["records_per_s"])
        summary["ratio_vs_bytewax"] = round(best_with / bytewax["records_per_s"], 2)
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
