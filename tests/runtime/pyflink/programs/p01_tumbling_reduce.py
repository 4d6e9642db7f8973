from common_input import EVENTS, strategy
from pyflink.common import Time, Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.window import TumblingEventTimeWindows

env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(1)
ds = env.from_collection(EVENTS, type_info=Types.TUPLE([Types.STRING(), Types.INT(), Types.LONG()]))
(
    ds.assign_timestamps_and_watermarks(strategy())
    .key_by(lambda e: e[0])
    .window(TumblingEventTimeWindows.of(Time.seconds(5)))
    .reduce(lambda x, y: (x[0], x[1] + y[1], max(x[2], y[2])))
    .map(lambda r: f"{r[0]} sum={r[1]} last={r[2]}", output_type=Types.STRING())
    .print()
)
env.execute("p01")
