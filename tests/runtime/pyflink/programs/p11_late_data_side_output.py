"""Embedded-only (punctuated watermarks): records behind the watermark go to the late-data side output."""

from pyflink.common import Time, Types
from pyflink.common.watermark_strategy import WatermarkGenerator, WatermarkStrategy
from pyflink.datastream import OutputTag, StreamExecutionEnvironment
from pyflink.datastream.window import TumblingEventTimeWindows


class Punctuated(WatermarkGenerator):
    """A watermark at every record: its timestamp minus 1 s."""

    def __init__(self):
        self.max_ts = 0

    def on_event(self, event, event_timestamp, output):
        self.max_ts = max(self.max_ts, event_timestamp)
        output.emit_watermark(self.max_ts - 1000)


late = OutputTag("late", Types.STRING())
env = StreamExecutionEnvironment.get_execution_environment()
events = [
    ("a", 1, 1000),
    ("a", 2, 3000),
    ("a", 3, 7000),
    ("a", 4, 2000),
    ("a", 5, 4500),
    ("a", 6, 12500),
    ("a", 7, 9000),
]
windowed = (
    env.from_collection(events)
    .assign_timestamps_and_watermarks(
        WatermarkStrategy.for_generator(Punctuated).with_timestamp_assigner(lambda e, ts: e[2])
    )
    .key_by(lambda e: e[0])
    .window(TumblingEventTimeWindows.of(Time.seconds(5)))
    .side_output_late_data(late)
    .reduce(lambda x, y: (x[0], x[1] + y[1], x[2]))
)
windowed.map(lambda r: f"on-time sum={r[1]}", output_type=Types.STRING()).print()
windowed.get_side_output(late).map(
    lambda e: f"late value={e[1]} ts={e[2]}", output_type=Types.STRING()
).print()
env.execute("p11")
