from common_input import EVENTS, strategy
from pyflink.common import Time, Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.window import EventTimeSessionWindows

env = StreamExecutionEnvironment.get_execution_environment()
ds = env.from_collection(EVENTS)
(
    ds.assign_timestamps_and_watermarks(strategy())
    .key_by(lambda e: e[0])
    .window(EventTimeSessionWindows.with_gap(Time.seconds(3)))
    .reduce(lambda x, y: (x[0], x[1] + y[1], min(x[2], y[2])))
    .map(lambda r: f"{r[0]} session-sum={r[1]} first={r[2]}", output_type=Types.STRING())
    .print()
)
env.execute("p05")
