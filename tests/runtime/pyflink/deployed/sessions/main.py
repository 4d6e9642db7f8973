"""Event-time sessions (gap 400 ms) per key with their bounds and sizes; exactly-once FileSink."""

from kinesis_job import events, properties
from pyflink.common import Encoder, Time, Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.connectors.file_system import FileSink
from pyflink.datastream.window import EventTimeSessionWindows

config = properties()["Job"]
env = StreamExecutionEnvironment.get_execution_environment()
(
    events(env, config)
    .map(lambda e: (e[0], 1, e[2], e[2]))
    .uid("session-seed")
    .key_by(lambda e: e[0])
    .window(EventTimeSessionWindows.with_gap(Time.milliseconds(400)))
    .reduce(lambda a, b: (a[0], a[1] + b[1], min(a[2], b[2]), max(a[3], b[3])))
    .uid("sessions")
    .map(lambda s: f"{s[0]},{s[2]},{s[3]},{s[1]}", output_type=Types.STRING())
    .sink_to(FileSink.for_row_format(config["output.path"], Encoder.simple_string_encoder()).build())
    .uid("sink")
)
env.execute("sessions")
