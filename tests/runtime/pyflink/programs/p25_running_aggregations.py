from pyflink.common import Types
from pyflink.datastream import StreamExecutionEnvironment

env = StreamExecutionEnvironment.get_execution_environment()
scores = env.from_collection(
    [("x", 3), ("y", 1), ("x", 5), ("y", 4), ("x", 2)], type_info=Types.TUPLE([Types.STRING(), Types.INT()])
)
scores.key_by(lambda s: s[0]).sum(1).map(lambda s: f"sum {s[0]} {s[1]}", output_type=Types.STRING()).print()
scores.key_by(lambda s: s[0]).max(1).map(lambda s: f"max {s[0]} {s[1]}", output_type=Types.STRING()).print()
(
    scores.key_by(lambda s: s[0])
    .reduce(lambda a, b: (a[0], a[1] * b[1]))
    .map(lambda s: f"product {s[0]} {s[1]}", output_type=Types.STRING())
    .print()
)
env.execute("p25")
