from pyflink.common import Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import MapFunction, RuntimeContext


class Tag(MapFunction):
    """Tags each value with the parallelism of the operator that maps it."""

    def open(self, runtime_context: RuntimeContext):
        self.subtasks = runtime_context.get_number_of_parallel_subtasks()

    def map(self, value):
        return f"{value} of {self.subtasks}"


env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(2)
numbers = env.from_collection([1, 2, 3, 4], type_info=Types.INT())
forced = numbers.map(Tag(), output_type=Types.STRING()).force_non_parallel()
forced.map(lambda s: f"forced {s}", output_type=Types.STRING()).print()
numbers.map(Tag(), output_type=Types.STRING()).map(
    lambda s: f"default {s}", output_type=Types.STRING()
).print()
cached = numbers.map(lambda v: v * 10, output_type=Types.INT()).cache()
cached.map(Tag(), output_type=Types.STRING()).map(lambda s: f"cached {s}", output_type=Types.STRING()).print()
env.execute("p30")
