"""A PyFlink job: numbers 0..N-1 (n at event time n*10 ms, key n % 7, RATE records/s) counted and summed in
1 s tumbling event-time windows per key, into an exactly-once FileSink; checkpoints every 100 ms."""

import os

from pyflink.common import Encoder, RestartStrategies, Time, Types, WatermarkStrategy
from pyflink.common.watermark_strategy import TimestampAssigner
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.connectors.file_system import FileSink
from pyflink.datastream.connectors.number_seq import NumberSequenceSource
from pyflink.datastream.functions import AggregateFunction, ProcessWindowFunction
from pyflink.datastream.window import TumblingEventTimeWindows


class Stamp(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value * 10


class CountSum(AggregateFunction):
    def create_accumulator(self):
        return (0, 0)

    def add(self, value, accumulator):
        return (accumulator[0] + 1, accumulator[1] + value)

    def get_result(self, accumulator):
        return accumulator

    def merge(self, a, b):
        return (a[0] + b[0], a[1] + b[1])


class Format(ProcessWindowFunction):
    def process(self, key, context, elements):
        for count, total in elements:
            yield f"{key},{context.window().start},{count},{total}"


env = StreamExecutionEnvironment.get_execution_environment()
env.enable_checkpointing(100)
env.set_restart_strategy(RestartStrategies.fixed_delay_restart(20, 0))
source = NumberSequenceSource(0, int(os.environ["N"]) - 1, records_per_second=float(os.environ["RATE"]))
(
    env.from_source(
        source, WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(Stamp()), "numbers"
    )
    .uid("numbers")
    .key_by(lambda n: n % 7)
    .window(TumblingEventTimeWindows.of(Time.seconds(1)))
    .aggregate(CountSum(), Format(), output_type=Types.STRING())
    .uid("windows")
    .sink_to(FileSink.for_row_format(os.environ["OUT_DIR"], Encoder.simple_string_encoder()).build())
    .uid("sink")
)
env.execute("windowed-count")
