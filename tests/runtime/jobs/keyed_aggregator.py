"""Once-failing keyed aggregator (after Flink's StateCheckpointedITCase).

Numbers 0..N-1 are keyed by ``n % KEYS``; a KeyedProcessFunction keeps a per-key sum and count in
ValueState and emits ``key,sum,count`` for every record into the exactly-once file sink. It raises once,
when it sees a number at or after FAIL_AT and at least two checkpoints have completed.
"""

import os

from stream_runtime import (
    CheckpointListener,
    ExactlyOnceFileSink,
    KeyedProcessFunction,
    RestartStrategies,
    StreamExecutionEnvironment,
    ValueStateDescriptor,
)

N = int(os.environ["N"])
KEYS = int(os.environ["KEYS"])
FAIL_AT = int(os.environ["FAIL_AT"])
MARKER = os.path.join(os.environ["WORK_DIR"], "failed-once")


class OnceFailingSum(KeyedProcessFunction, CheckpointListener):
    def open(self, runtime_context):
        self.sum = runtime_context.get_state(ValueStateDescriptor("sum"))
        self.count = runtime_context.get_state(ValueStateDescriptor("count"))
        self.completed = 0

    def notify_checkpoint_complete(self, checkpoint_id):
        self.completed += 1

    def process_element(self, value, ctx):
        if value >= FAIL_AT and self.completed >= 2 and not os.path.exists(MARKER):
            open(MARKER, "x").close()
            raise RuntimeError(f"injected failure at {value}")
        total = (self.sum.value() or 0) + value
        count = (self.count.value() or 0) + 1
        self.sum.update(total)
        self.count.update(count)
        yield f"{ctx.get_current_key()},{total},{count}"


env = StreamExecutionEnvironment.get_execution_environment()
env.enable_checkpointing(50)
env.set_restart_strategy(RestartStrategies.fixed_delay_restart(3, 1000))
(
    env.from_sequence(0, N - 1, records_per_second=float(os.environ["RATE"]))
    .uid("numbers")
    .key_by(lambda n: n % KEYS)
    .process(OnceFailingSum())
    .uid("sum")
    .add_sink(ExactlyOnceFileSink(os.environ["OUT_DIR"]))
    .uid("sink")
)
env.execute("keyed-aggregator")
