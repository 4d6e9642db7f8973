"""The benchmark's window count in Bytewax 0.21 (recovery on, 1 s epochs); run with bench/.venv-bytewax.

Usage: python pyflink_window_bytewax.py RECORDS RECOVERY_DIR → one JSON line with the figures."""

import json
import sys
import time
from datetime import UTC, datetime, timedelta

import bytewax.operators as op
import bytewax.operators.windowing as win
from bytewax.dataflow import Dataflow
from bytewax.outputs import DynamicSink, StatelessSinkPartition
from bytewax.recovery import RecoveryConfig, init_db_dir
from bytewax.testing import TestingSource, run_main

KEYS = 10_000
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


class _Discard(StatelessSinkPartition):
    def write_batch(self, items):
        return None


class DiscardSink(DynamicSink):
    def build(self, step_id, worker_index, worker_count):
        return _Discard()


def main() -> None:
    records, recovery_dir = int(sys.argv[1]), sys.argv[2]
    init_db_dir(recovery_dir, 1)
    flow = Dataflow("window_count")
    numbers = op.input("numbers", flow, TestingSource(range(records), batch_size=1024))
    clock = win.EventClock(
        lambda n: EPOCH + timedelta(milliseconds=n // 100), wait_for_system_duration=timedelta(0)
    )
    windower = win.TumblingWindower(length=timedelta(seconds=1), align_to=EPOCH)
    counts = win.count_window("count", numbers, clock, windower, lambda n: str(n % KEYS))
    op.output("out", counts.down, DiscardSink())
    started = time.perf_counter()
    run_main(flow, epoch_interval=timedelta(seconds=1), recovery_config=RecoveryConfig(recovery_dir))
    elapsed = time.perf_counter() - started
    print(json.dumps({"records": records, "seconds": elapsed, "records_per_s": records / elapsed}))


if __name__ == "__main__":
    main()
