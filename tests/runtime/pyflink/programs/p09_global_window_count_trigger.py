from pyflink.common import Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.window import CountTrigger, GlobalWindows

env = StreamExecutionEnvironment.get_execution_environment()
(
    env.from_collection([("k", 1), ("k", 2), ("j", 10), ("k", 3), ("k", 4), ("j", 20), ("k", 5)])
    .key_by(lambda t: t[0])
    .window(GlobalWindows.create())
    .trigger(CountTrigger.of(2))
    .reduce(lambda a, b: (a[0], a[1] + b[1]))
    .map(lambda t: f"{t[0]} running={t[1]}", output_type=Types.STRING())
    .print()
)
env.execute("p09")
