from pyflink.common import Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import BroadcastProcessFunction
from pyflink.datastream.state import MapStateDescriptor

CONFIG = MapStateDescriptor("config", Types.STRING(), Types.STRING())


class Rename(BroadcastProcessFunction):
    def process_element(self, value, ctx):
        yield f"element {value}"

    def process_broadcast_element(self, value, ctx):
        ctx.get_broadcast_state(CONFIG).put("suffix", value)
        yield f"config {value} at subtask"


env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(3)
config = env.from_collection(["v1"], type_info=Types.STRING()).broadcast(CONFIG)
env.from_collection(["a", "b"], type_info=Types.STRING()).connect(config).process(
    Rename(), output_type=Types.STRING()
).print()
env.execute("p21")
