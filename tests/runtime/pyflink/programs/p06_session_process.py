from common_input import EVENTS, strategy
from pyflink.common import Time, Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import ProcessWindowFunction
from pyflink.datastream.window import EventTimeSessionWindows


class Bounds(ProcessWindowFunction):
    def process(self, key, context, elements):
        w = context.window()
        yield f"{key} session [{w.start},{w.end}) count={len(list(elements))}"


env = StreamExecutionEnvironment.get_execution_environment()
ds = env.from_collection(EVENTS)
(
    ds.assign_timestamps_and_watermarks(strategy())
    .key_by(lambda e: e[0])
    .window(EventTimeSessionWindows.with_gap(Time.seconds(2)))
    .process(Bounds(), output_type=Types.STRING())
    .print()
)
env.execute("p06")
