from pyflink.common import Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import CoMapFunction


class Tag(CoMapFunction):
    def map1(self, value):
        return f"number {value}"

    def map2(self, value):
        return f"word {value.upper()}"


env = StreamExecutionEnvironment.get_execution_environment()
numbers = env.from_collection([1, 2, 3], type_info=Types.INT())
words = env.from_collection(["x", "y"], type_info=Types.STRING())
numbers.connect(words).map(Tag(), output_type=Types.STRING()).print()
env.execute("p17")
