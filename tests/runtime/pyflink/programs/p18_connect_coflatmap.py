from pyflink.common import Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import CoFlatMapFunction


class Explode(CoFlatMapFunction):
    def flat_map1(self, value):
        for i in range(value):
            yield f"n{value}-{i}"

    def flat_map2(self, value):
        for word in value.split():
            yield f"w-{word}"


env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(2)
numbers = env.from_collection([1, 2, 0, 3], type_info=Types.INT())
lines = env.from_collection(["hello big world", "bye"], type_info=Types.STRING())
numbers.connect(lines).flat_map(Explode(), output_type=Types.STRING()).print()
env.execute("p18")
