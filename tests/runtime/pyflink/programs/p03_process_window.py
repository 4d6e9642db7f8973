from common_input import EVENTS, strategy
from pyflink.common import Time, Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import ProcessWindowFunction
from pyflink.datastream.window import TumblingEventTimeWindows


class Describe(ProcessWindowFunction):
    def process(self, key, context, elements):
        values = sorted(e[1] for e in elements)
        window = context.window()
        yield f"{key} [{window.start},{window.end}) n={len(values)} values={values}"


env = StreamExecutionEnvironment.get_execution_environment()
ds = env.from_collection(EVENTS)
(
    ds.assign_timestamps_and_watermarks(strategy())
    .key_by(lambda e: e[0])
    .window(TumblingEventTimeWindows.of(Time.seconds(5)))
    .process(Describe(), output_type=Types.STRING())
    .print()
)
env.execute("p03")
