"""Counts and sums per key in 1 s tumbling event-time windows; exactly-once FileSink."""

from kinesis_job import events, properties
from pyflink.common import Encoder, Time, Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.connectors.file_system import FileSink
from pyflink.datastream.functions import ProcessWindowFunction
from pyflink.datastream.window import TumblingEventTimeWindows


class Summary(ProcessWindowFunction):
    def process(self, key, context, elements):
        values = [e[1] for e in elements]
        yield f"{key},{context.window().start},{len(values)},{sum(values)}"


config = properties()["Job"]
env = StreamExecutionEnvironment.get_execution_environment()
(
    events(env, config)
    .key_by(lambda e: e[0])
    .window(TumblingEventTimeWindows.of(Time.seconds(1)))
    .process(Summary(), output_type=Types.STRING())
    .uid("windows")
    .sink_to(FileSink.for_row_format(config["output.path"], Encoder.simple_string_encoder()).build())
    .uid("sink")
)
env.execute("tumbling-count")
