"""A keyed reduce with a ReduceFunction: PyFlink calls its ``open`` (with the runtime context) first."""

from pyflink.common import Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import ReduceFunction, RuntimeContext


class WeightedSum(ReduceFunction):
    """Adds each new value times the reduce operator's parallelism (learnt in ``open``)."""

    def open(self, runtime_context: RuntimeContext):
        self.weight = runtime_context.get_number_of_parallel_subtasks()

    def reduce(self, value1, value2):
        return value1[0], value1[1] + value2[1] * self.weight


env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(2)
(
    env.from_collection(
        [("a", 1), ("a", 2), ("b", 5), ("a", 3), ("b", 1)],
        type_info=Types.TUPLE([Types.STRING(), Types.INT()]),
    )
    .key_by(lambda v: v[0])
    .reduce(WeightedSum())
    .map(lambda v: f"{v[0]} {v[1]}", output_type=Types.STRING())
    .print()
)
env.execute("p31")
