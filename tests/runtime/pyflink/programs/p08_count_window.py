from pyflink.common import Types
from pyflink.datastream import StreamExecutionEnvironment

env = StreamExecutionEnvironment.get_execution_environment()
words = ["x", "y", "x", "x", "y", "x", "x", "y", "y", "x", "z"]
(
    env.from_collection([(w, 1) for w in words])
    .key_by(lambda t: t[0])
    .count_window(3)
    .reduce(lambda a, b: (a[0], a[1] + b[1]))
    .map(lambda t: f"{t[0]} full-window={t[1]}", output_type=Types.STRING())
    .print()
)
env.execute("p08")
