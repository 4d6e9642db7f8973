"""Shared by the deployed PyFlink programs: properties as on Managed Flink, and the Kinesis input of
``key,value,event_ms`` lines with monotonous event time (idle source subtasks do not hold event time)."""

import json
import os

from pyflink.common import Duration, SimpleStringSchema, WatermarkStrategy
from pyflink.common.watermark_strategy import TimestampAssigner
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.connectors.kinesis import FlinkKinesisConsumer


def properties():
    """``{group: {key: value}}`` of application_properties.json (where msf-local or AWS puts it)."""
    path = os.environ.get("STREAM_RUNTIME_PROPERTIES_FILE", "/etc/flink/application_properties.json")
    with open(path, encoding="utf-8") as handle:
        return {g["PropertyGroupId"]: g["PropertyMap"] for g in json.load(handle)}


class EventTime(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value[2]


def parse(line):
    key, value, event_ms = line.split(",")
    return key, int(value), int(event_ms)


def events(env: StreamExecutionEnvironment, config):
    consumer = FlinkKinesisConsumer(
        config["input.stream"],
        SimpleStringSchema(),
        {"flink.stream.initpos": "TRIM_HORIZON", "flink.shard.getrecords.intervalmillis": "50"},
    )
    strategy = (
        WatermarkStrategy.for_monotonous_timestamps()
        .with_timestamp_assigner(EventTime())
        .with_idleness(Duration.of_millis(300))
    )
    return (
        env.add_source(consumer)
        .uid("kinesis")
        .map(parse)
        .uid("parse")
        .assign_timestamps_and_watermarks(strategy)
        .uid("event-time")
    )
