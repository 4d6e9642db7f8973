"""Reads JSON records ``{"key", "seq"}`` from the Kinesis stream STREAM (every shard, from TRIM_HORIZON) and
counts records per key in ValueState; emits ``key,seq,count`` into the exactly-once file sink. Each shard ends
at an ``END`` record, so the job finishes when every shard has delivered its marker."""

import os

from stream_runtime import (
    ExactlyOnceFileSink,
    KeyedProcessFunction,
    RestartStrategies,
    StreamExecutionEnvironment,
    ValueStateDescriptor,
)
from stream_runtime.connectors import JsonDeserializationSchema, KinesisSource


class CountPerKey(KeyedProcessFunction):
    def open(self, runtime_context):
        self.count = runtime_context.get_state(ValueStateDescriptor("count"))

    def process_element(self, value, ctx):
        count = (self.count.value() or 0) + 1
        self.count.update(count)
        yield f"{value['key']},{value['seq']},{count}"


env = StreamExecutionEnvironment.get_execution_environment()
env.enable_checkpointing(int(os.environ.get("INTERVAL_MS", "100")))
env.set_parallelism(int(os.environ.get("PARALLELISM", "2")))
env.set_restart_strategy(RestartStrategies.fixed_delay_restart(100, 0))
source = KinesisSource(
    os.environ["STREAM"],
    JsonDeserializationSchema(),
    {"flink.stream.initpos": "TRIM_HORIZON"},
    fetch_interval_s=0.02,
    discovery_interval_s=0.3,
    end_marker=b"END",
)
(
    env.from_source(source, "kinesis")
    .uid("kinesis")
    .key_by(lambda record: record["key"])
    .process(CountPerKey())
    .uid("count")
    .add_sink(ExactlyOnceFileSink(os.environ["OUT_DIR"]))
    .uid("sink")
)
env.execute("kinesis-count")
