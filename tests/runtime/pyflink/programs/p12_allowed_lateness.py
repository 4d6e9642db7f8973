"""Embedded-only (punctuated watermarks): allowed lateness re-fires a window for a late record."""

from pyflink.common import Time, Types
from pyflink.common.watermark_strategy import WatermarkGenerator, WatermarkStrategy
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.window import TumblingEventTimeWindows


class Punctuated(WatermarkGenerator):
    def __init__(self):
        self.max_ts = 0

    def on_event(self, event, event_timestamp, output):
        self.max_ts = max(self.max_ts, event_timestamp)
        output.emit_watermark(self.max_ts)


env = StreamExecutionEnvironment.get_execution_environment()
events = [("k", 1, 1000), ("k", 2, 6000), ("k", 3, 2000), ("k", 4, 8000), ("k", 5, 3000), ("k", 6, 11000)]
(
    env.from_collection(events)
    .assign_timestamps_and_watermarks(
        WatermarkStrategy.for_generator(Punctuated).with_timestamp_assigner(lambda e, ts: e[2])
    )
    .key_by(lambda e: e[0])
    .window(TumblingEventTimeWindows.of(Time.seconds(5)))
    .allowed_lateness(3000)
    .reduce(lambda x, y: (x[0], x[1] + y[1], max(x[2], y[2])))
    .map(lambda r: f"fire sum={r[1]}", output_type=Types.STRING())
    .print()
)
env.execute("p12")
