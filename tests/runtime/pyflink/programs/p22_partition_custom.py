from pyflink.common import Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import MapFunction, Partitioner


class ByParity(Partitioner):
    def partition(self, key, num_partitions):
        return key % num_partitions


class WhereAmI(MapFunction):
    def open(self, runtime_context):
        self.index = runtime_context.get_index_of_this_subtask()

    def map(self, value):
        return f"{value} on subtask {self.index}"


env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(2)
(
    env.from_collection(list(range(6)), type_info=Types.INT())
    .partition_custom(ByParity(), lambda v: v)
    .map(WhereAmI(), output_type=Types.STRING())
    .print()
)
env.execute("p22")
