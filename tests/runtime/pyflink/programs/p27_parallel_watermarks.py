"""Watermarks from two source subtasks: each key's timer fires once event time (the minimum over the
subtasks) passes it, at the latest when both inputs end."""

from pyflink.common import Duration, Types, WatermarkStrategy
from pyflink.common.watermark_strategy import TimestampAssigner
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.connectors.number_seq import NumberSequenceSource
from pyflink.datastream.functions import KeyedProcessFunction
from pyflink.datastream.state import ValueStateDescriptor


class Millis(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value * 100


class SumAtTimer(KeyedProcessFunction):
    def open(self, ctx):
        self.sum = ctx.get_state(ValueStateDescriptor("sum", Types.LONG()))

    def process_element(self, value, ctx):
        self.sum.update((self.sum.value() or 0) + value)
        ctx.timer_service().register_event_time_timer(5000)

    def on_timer(self, timestamp, ctx):
        yield f"key {ctx.get_current_key()} sum {self.sum.value()} at {timestamp}"


env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(2)
strategy = WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(500)).with_timestamp_assigner(
    Millis()
)
(
    env.from_source(NumberSequenceSource(1, 40), WatermarkStrategy.no_watermarks(), "numbers")
    .assign_timestamps_and_watermarks(strategy)
    .key_by(lambda n: n % 4)
    .process(SumAtTimer(), output_type=Types.STRING())
    .print()
)
env.execute("p27")
