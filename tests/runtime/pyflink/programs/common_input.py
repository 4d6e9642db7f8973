"""Shared bounded, out-of-order input of the window programs: (key, value, event time ms)."""

from pyflink.common import Duration
from pyflink.common.watermark_strategy import TimestampAssigner, WatermarkStrategy

EVENTS = [
    ("a", 1, 1000),
    ("b", 2, 1500),
    ("a", 3, 4000),
    ("a", 4, 2000),
    ("b", 5, 6000),
    ("a", 6, 5500),
    ("b", 7, 9000),
    ("a", 8, 12000),
    ("b", 9, 5800),
    ("a", 10, 16000),
]


class EventTime(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value[2]


def strategy():
    return WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_seconds(2)).with_timestamp_assigner(
        EventTime()
    )
