"""A PyFlink DataStream job in the shape of the AWS Python samples (runtime properties from the AWS path):
NumberSequenceSource -> throttle -> key_by -> KeyedProcessFunction counting in ValueState. Every
``every``-th count of a key is appended as "key,count" to a file under the ``output`` directory.
"""

import json
import os
import time
from typing import Any

from pyflink.common import Types, WatermarkStrategy
from pyflink.datastream import KeyedProcessFunction, RuntimeContext, StreamExecutionEnvironment
from pyflink.datastream.connectors.number_seq import NumberSequenceSource
from pyflink.datastream.state import ValueStateDescriptor

APPLICATION_PROPERTIES_FILE_PATH = "/etc/flink/application_properties.json"


def get_application_properties():
    if os.path.isfile(APPLICATION_PROPERTIES_FILE_PATH):
        with open(APPLICATION_PROPERTIES_FILE_PATH) as file:
            return json.loads(file.read())
    raise FileNotFoundError(APPLICATION_PROPERTIES_FILE_PATH)


def property_map(props, property_group_id):
    for prop in props:
        if prop["PropertyGroupId"] == property_group_id:
            return prop["PropertyMap"]
    return {}


class CountPerKey(KeyedProcessFunction):
    def __init__(self, every, output):
        self.every = every
        self.output = output
        self.count: Any = None

    def open(self, runtime_context: RuntimeContext):
        self.count = runtime_context.get_state(ValueStateDescriptor("count", Types.LONG()))

    def process_element(self, value, ctx):
        current = (self.count.value() or 0) + 1
        self.count.update(current)
        if current % self.every == 0:
            os.makedirs(self.output, exist_ok=True)
            with open(os.path.join(self.output, f"part-{os.getpid()}"), "a") as sink:
                sink.write(f"{ctx.get_current_key()},{current}\n")


def throttle(value):
    time.sleep(0.004)
    return value


def main():
    config = property_map(get_application_properties(), "JobConfig")
    keys, every = int(config["keys"]), int(config["every"])
    env = StreamExecutionEnvironment.get_execution_environment()
    env.enable_checkpointing(3_600_000)  # DEFAULT/CUSTOM CheckpointConfiguration must win over this
    numbers = env.from_source(NumberSequenceSource(0, 10**12), WatermarkStrategy.no_watermarks(), "numbers")
    (
        numbers.uid("numbers")
        .map(throttle, Types.LONG())
        .uid("throttle")
        .key_by(lambda n: n % keys, Types.LONG())
        .process(CountPerKey(every, config["output"]))
        .uid("count-per-key")
    )
    env.execute("pyflink-datastream")


if __name__ == "__main__":
    main()
