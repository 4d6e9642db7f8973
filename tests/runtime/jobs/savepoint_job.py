"""Keyed running sum/count into the exactly-once file sink, for savepoint tests.

Numbers 0..N-1 at RATE records/s from one source subtask (so each key sees its numbers in order and the
output is deterministic), keyed by ``n % KEYS`` onto the job's parallelism; emits ``key,sum,count`` per
record. CHECKPOINT_MS (default 100; 0 disables checkpointing) sets the interval.
"""

import os

from stream_runtime import (
    ExactlyOnceFileSink,
    KeyedProcessFunction,
    StreamExecutionEnvironment,
    ValueStateDescriptor,
)

KEYS = int(os.environ.get("KEYS", "7"))


class SumCount(KeyedProcessFunction):
    def open(self, runtime_context):
        self.sum = runtime_context.get_state(ValueStateDescriptor("sum"))
        self.count = runtime_context.get_state(ValueStateDescriptor("count"))

    def process_element(self, value, ctx):
        total = (self.sum.value() or 0) + value
        count = (self.count.value() or 0) + 1
        self.sum.update(total)
        self.count.update(count)
        yield f"{ctx.get_current_key()},{total},{count}"


env = StreamExecutionEnvironment.get_execution_environment()
interval = int(os.environ.get("CHECKPOINT_MS", "100"))
if interval:
    env.enable_checkpointing(interval)
(
    env.from_sequence(0, int(os.environ["N"]) - 1, records_per_second=float(os.environ["RATE"]))
    .uid("numbers")
    .set_parallelism(1)
    .key_by(lambda n: n % KEYS)
    .process(SumCount())
    .uid("sum")
    .add_sink(ExactlyOnceFileSink(os.environ["OUT_DIR"]))
    .uid("sink")
)
env.execute("savepoint-job")
