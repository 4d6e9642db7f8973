"""An application as a user would write it: reads JSON records ``{"key", "seq"}`` from the Kinesis stream
named in its runtime properties, counts records per key in keyed state, and writes ``key,seq,count`` lines
with the exactly-once file sink. Endpoint and credentials come from the environment msf-local sets."""

from stream_runtime import (
    ExactlyOnceFileSink,
    KeyedProcessFunction,
    StreamExecutionEnvironment,
    ValueStateDescriptor,
)
from stream_runtime.connectors import JsonDeserializationSchema, KinesisSource
from stream_runtime.properties import get_application_properties


class CountPerKey(KeyedProcessFunction):
    def open(self, runtime_context):
        self.count = runtime_context.get_state(ValueStateDescriptor("count"))

    def process_element(self, value, ctx):
        count = (self.count.value() or 0) + 1
        self.count.update(count)
        yield f"{value['key']},{value['seq']},{count}"


properties = get_application_properties()["Counter"]
env = StreamExecutionEnvironment.get_execution_environment()
source = KinesisSource(
    properties["input.stream"],
    JsonDeserializationSchema(),
    {"flink.stream.initpos": "TRIM_HORIZON"},
    fetch_interval_s=0.02,
    discovery_interval_s=0.5,
)
(
    env.from_source(source, "kinesis")
    .uid("kinesis")
    .key_by(lambda record: record["key"])
    .process(CountPerKey())
    .uid("count")
    .add_sink(ExactlyOnceFileSink(properties["output.dir"]))
    .uid("sink")
)
env.execute("kinesis-counter")
