from pyflink.common import Types
from pyflink.datastream import StreamExecutionEnvironment

env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(2)
first = env.from_collection([1, 2, 3], type_info=Types.INT())
second = env.from_collection([10, 20], type_info=Types.INT())
third = env.from_collection([100], type_info=Types.INT())
(
    first.union(second, third)
    .map(lambda v: v * 2, output_type=Types.INT())
    .filter(lambda v: v != 40)
    .map(lambda v: f"value {v}", output_type=Types.STRING())
    .print()
)
env.execute("p16")
