from pyflink.common import Types
from pyflink.datastream import OutputTag, StreamExecutionEnvironment
from pyflink.datastream.functions import ProcessFunction

odd = OutputTag("odd", Types.INT())
big = OutputTag("big", Types.STRING())


class Split(ProcessFunction):
    def process_element(self, value, ctx):
        if value % 2:
            yield odd, value
        else:
            yield value
        if value > 7:
            yield big, f"big:{value}"


env = StreamExecutionEnvironment.get_execution_environment()
main = env.from_collection(list(range(1, 11)), type_info=Types.INT()).process(
    Split(), output_type=Types.INT()
)
main.map(lambda v: f"even {v}", output_type=Types.STRING()).print()
main.get_side_output(odd).map(lambda v: f"odd {v}", output_type=Types.STRING()).print()
main.get_side_output(big).print()
env.execute("p15")
