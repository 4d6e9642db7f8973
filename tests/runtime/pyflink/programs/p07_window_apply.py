from common_input import EVENTS, strategy
from pyflink.common import Time, Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import WindowFunction
from pyflink.datastream.window import TumblingEventTimeWindows


class MaxValue(WindowFunction):
    def apply(self, key, window, inputs):
        yield f"{key} end={window.end} max={max(e[1] for e in inputs)}"


env = StreamExecutionEnvironment.get_execution_environment()
ds = env.from_collection(EVENTS)
(
    ds.assign_timestamps_and_watermarks(strategy())
    .key_by(lambda e: e[0])
    .window(TumblingEventTimeWindows.of(Time.seconds(8)))
    .apply(MaxValue(), output_type=Types.STRING())
    .print()
)
env.execute("p07")
