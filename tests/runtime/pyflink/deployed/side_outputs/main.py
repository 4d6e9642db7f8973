"""Splits records: even values to the main output, odd ones to a side output; both to exactly-once files."""

from kinesis_job import events, properties
from pyflink.common import Encoder, Types
from pyflink.datastream import OutputTag, StreamExecutionEnvironment
from pyflink.datastream.connectors.file_system import FileSink, OutputFileConfig
from pyflink.datastream.functions import ProcessFunction

ODD = OutputTag("odd", Types.STRING())


class Split(ProcessFunction):
    def process_element(self, value, ctx):
        line = f"{value[0]},{value[1]},{ctx.timestamp()}"
        if value[1] % 2:
            yield ODD, line
        else:
            yield line


def sink(path, prefix):
    config = OutputFileConfig.builder().with_part_prefix(prefix).build()
    return (
        FileSink.for_row_format(path, Encoder.simple_string_encoder()).with_output_file_config(config).build()
    )


config = properties()["Job"]
env = StreamExecutionEnvironment.get_execution_environment()
split = events(env, config).process(Split(), output_type=Types.STRING()).uid("split")
split.sink_to(sink(config["output.path"], "even")).uid("even-sink")
split.get_side_output(ODD).sink_to(sink(config["output.path"], "odd")).uid("odd-sink")
env.execute("side-outputs")
