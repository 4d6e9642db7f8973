"""The benchmark's keyed count in Bytewax 0.21 with recovery on; run with the bench/.venv-bytewax interpreter.

Usage: python runtime_bytewax_flow.py RECORDS KEYS RECOVERY_DIR  → prints one JSON line with the figures.
"""

import json
import sys
import time
from datetime import timedelta

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.outputs import DynamicSink, StatelessSinkPartition
from bytewax.recovery import RecoveryConfig, init_db_dir
from bytewax.testing import TestingSource, run_main


class _Discard(StatelessSinkPartition):
    def write_batch(self, items):
        return None


class DiscardSink(DynamicSink):
    def build(self, step_id, worker_index, worker_count):
        return _Discard()


def main() -> None:
    records, keys, recovery_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    init_db_dir(recovery_dir, 1)
    flow = Dataflow("keyed_count")
    numbers = op.input("numbers", flow, TestingSource(range(records), batch_size=1024))
    keyed = op.key_on("key", numbers, lambda n: str(n % keys))

    def count(state, _value):
        state = (state or 0) + 1
        return state, state

    counts = op.stateful_map("count", keyed, count)
    op.output("out", counts, DiscardSink())
    started = time.perf_counter()
    run_main(flow, epoch_interval=timedelta(seconds=1), recovery_config=RecoveryConfig(recovery_dir))
    elapsed = time.perf_counter() - started
    print(json.dumps({"records": records, "seconds": elapsed, "records_per_s": records / elapsed}))


if __name__ == "__main__":
    main()
