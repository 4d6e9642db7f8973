from pyflink.common import Types
from pyflink.datastream import StreamExecutionEnvironment

env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(3)
numbers = env.from_collection(list(range(1, 10)), type_info=Types.INT())
doubled = numbers.rebalance().map(lambda v: v * 2, output_type=Types.INT())
shifted = doubled.shuffle().map(lambda v: v + 1, output_type=Types.INT())
shifted.forward().map(lambda v: f"r{v}", output_type=Types.STRING()).print()
numbers.rescale().map(lambda v: f"g{v}", output_type=Types.STRING()).print()
env.execute("p23")
