"""The benchmark's PyFlink program: tumbling 1 s event-time windows counting records per key over 10 000
keys, checkpoints every 1 s. Runs unmodified on the embedded runtime and on real PyFlink.

Record n has key n % 10 000 and event time n // 100 ms (100 000 records per second of event time, 10 per
key and window). Nothing is printed (counts are never negative), so the sink costs the same everywhere.
Environment: BENCH_RECORDS (default 1 000 000)."""

import os

from pyflink.common import Configuration, Time, Types, WatermarkStrategy
from pyflink.common.watermark_strategy import TimestampAssigner
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.connectors.number_seq import NumberSequenceSource
from pyflink.datastream.functions import AggregateFunction
from pyflink.datastream.window import TumblingEventTimeWindows

KEYS = 10_000


class EventTime(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value // 100


class Count(AggregateFunction):
    def create_accumulator(self):
        return 0

    def add(self, value, accumulator):
        return accumulator + 1

    def get_result(self, accumulator):
        return accumulator

    def merge(self, a, b):
        return a + b


config = Configuration()
config.set_string("restart-strategy.type", "none")  # a failure ends the run instead of restarting it
env = StreamExecutionEnvironment.get_execution_environment(config)
env.set_parallelism(1)
env.enable_checkpointing(1000)
records = int(os.environ.get("BENCH_RECORDS", "1000000"))
strategy = WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(EventTime())
(
    env.from_source(NumberSequenceSource(0, records - 1), WatermarkStrategy.no_watermarks(), "numbers")
    .assign_timestamps_and_watermarks(strategy)  # real PyFlink ignores a Python assigner in from_source
    .key_by(lambda n: n % KEYS, key_type=Types.LONG())
    .window(TumblingEventTimeWindows.of(Time.seconds(1)))
    .aggregate(Count(), output_type=Types.LONG())
    .filter(lambda count: count < 0)
    .print()
)
env.execute("window-count")
