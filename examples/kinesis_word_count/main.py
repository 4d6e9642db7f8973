"""Kinesis word count: an application for msf-local written as one would for Managed Service for Apache Flink.

Reads lines of text from a Kinesis data stream, counts every word (lower case) in keyed state, and writes
one ``word,count`` line per occurrence with the exactly-once file sink: after any failure, restart,
rescale or restore, the committed lines of each word are its counts 1, 2, 3, … with none twice.

Runtime properties come from ``application_properties.json``, as on AWS: msf-local writes the file from
the application's ``EnvironmentProperties`` and tells the job where it is; run outside msf-local, the
file next to this one is read. Group ``WordCount``: ``input.stream`` (stream name), ``output.path``
(directory of the output files), ``initial.position`` (``TRIM_HORIZON`` by default). The Kinesis
endpoint, region and credentials are the ones msf-local gives the job (``AWS_ENDPOINT_URL`` …).
"""

import os
import re

from stream_runtime import (
    ExactlyOnceFileSink,
    KeyedProcessFunction,
    StreamExecutionEnvironment,
    ValueStateDescriptor,
)
from stream_runtime.connectors import KinesisSource, SimpleStringSchema
from stream_runtime.properties import get_application_properties

LOCAL_PROPERTIES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "application_properties.json")
WORD = re.compile(r"[a-z0-9']+")


def words(line):
    """The words of one record, lower case."""
    return WORD.findall(line.lower())


class CountWords(KeyedProcessFunction):
    """Keyed by word: the number of times the word has been seen, emitted at every occurrence."""

    def open(self, runtime_context):
        self.count = runtime_context.get_state(ValueStateDescriptor("count"))

    def process_element(self, word, ctx):
        count = (self.count.value() or 0) + 1
        self.count.update(count)
        yield f"{word},{count}"


def main():
    properties = get_application_properties() or get_application_properties(LOCAL_PROPERTIES)
    config = properties["WordCount"]
    env = StreamExecutionEnvironment.get_execution_environment()
    source = KinesisSource(
        config["input.stream"],
        SimpleStringSchema(),
        {"flink.stream.initpos": config.get("initial.position", "TRIM_HORIZON")},
        fetch_interval_s=0.05,
        discovery_interval_s=1.0,
    )
    (
        env.from_source(source, "kinesis")
        .uid("kinesis-source")
        .flat_map(words)
        .uid("split-words")
        .key_by(lambda word: word)
        .process(CountWords())
        .uid("count-words")
        .add_sink(ExactlyOnceFileSink(config["output.path"]))
        .uid("file-sink")
    )
    env.execute("kinesis-word-count")


if __name__ == "__main__":
    main()
