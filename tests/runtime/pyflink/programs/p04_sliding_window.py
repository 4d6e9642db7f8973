from common_input import EVENTS, strategy
from pyflink.common import Time, Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import ProcessWindowFunction
from pyflink.datastream.window import SlidingEventTimeWindows


class Sum(ProcessWindowFunction):
    def process(self, key, context, elements):
        yield f"{key} {context.window().start}..{context.window().end} sum={sum(e[1] for e in elements)}"


env = StreamExecutionEnvironment.get_execution_environment()
ds = env.from_collection(EVENTS)
(
    ds.assign_timestamps_and_watermarks(strategy())
    .key_by(lambda e: e[0])
    .window(SlidingEventTimeWindows.of(Time.seconds(10), Time.seconds(5)))
    .process(Sum(), output_type=Types.STRING())
    .print()
)
env.execute("p04")
