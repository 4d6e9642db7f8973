"""Numbers 0..N-1 at RATE records/s into the exactly-once file sink, checkpointing every 50 ms."""

import os

from stream_runtime import ExactlyOnceFileSink, RestartStrategies, StreamExecutionEnvironment

env = StreamExecutionEnvironment.get_execution_environment()
env.enable_checkpointing(50)
env.set_restart_strategy(RestartStrategies.fixed_delay_restart(3, 0))
(
    env.from_sequence(0, int(os.environ["N"]) - 1, records_per_second=float(os.environ["RATE"]))
    .uid("numbers")
    .add_sink(ExactlyOnceFileSink(os.environ["OUT_DIR"]))
    .uid("sink")
)
env.execute("sequence-job")
