from pyflink.common import Types, WatermarkStrategy
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.connectors.number_seq import NumberSequenceSource

env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(1)
(
    env.from_source(NumberSequenceSource(1, 30), WatermarkStrategy.no_watermarks(), "numbers")
    .filter(lambda n: n % 3 == 0)
    .key_by(lambda n: n % 2)
    .reduce(lambda a, b: a + b)
    .map(lambda total: f"running {total}", output_type=Types.STRING())
    .print()
)
env.execute("p26")
