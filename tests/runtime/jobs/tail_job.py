"""Tails INPUT (lines ``key,seq``) from the latest offset, like a Kafka consumer without committed
offsets, and writes every line through key_by into the exactly-once file sink. ``END`` finishes the job."""

import os

from stream_runtime import ExactlyOnceFileSink, FileSource, RestartStrategies, StreamExecutionEnvironment

env = StreamExecutionEnvironment.get_execution_environment()
env.enable_checkpointing(int(os.environ.get("INTERVAL_MS", "50")))
env.set_parallelism(int(os.environ.get("PARALLELISM", "2")))
env.set_restart_strategy(RestartStrategies.fixed_delay_restart(100, 0))
source = FileSource(os.environ["INPUT"], starting_offset="latest", monitor=True, end_marker="END")
(
    env.from_source(source, "tail")
    .uid("tail")
    .set_parallelism(1)
    .key_by(lambda line: line.split(",")[0])
    .map(lambda line: line)
    .uid("pass")
    .add_sink(ExactlyOnceFileSink(os.environ["OUT_DIR"]))
    .uid("sink")
)
env.execute("tail-job")
