from common_input import EVENTS, strategy
from pyflink.common import Time, Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import ProcessAllWindowFunction
from pyflink.datastream.window import TumblingEventTimeWindows


class Keys(ProcessAllWindowFunction):
    def process(self, context, elements):
        items = list(elements)
        keys = sorted({e[0] for e in items})
        yield f"[{context.window().start}] keys={keys} total={sum(e[1] for e in items)}"


env = StreamExecutionEnvironment.get_execution_environment()
(
    env.from_collection(EVENTS)
    .assign_timestamps_and_watermarks(strategy())
    .window_all(TumblingEventTimeWindows.of(Time.seconds(5)))
    .process(Keys(), output_type=Types.STRING())
    .print()
)
env.execute("p10")
