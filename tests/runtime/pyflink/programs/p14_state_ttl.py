from pyflink.common import Time, Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import KeyedProcessFunction
from pyflink.datastream.state import StateTtlConfig, ValueStateDescriptor


class Dedup(KeyedProcessFunction):
    """Emits the first record of each key; the 'seen' flag lives for one hour."""

    def open(self, runtime_context):
        ttl = (
            StateTtlConfig.new_builder(Time.hours(1))
            .set_update_type(StateTtlConfig.UpdateType.OnCreateAndWrite)
            .set_state_visibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
            .build()
        )
        descriptor = ValueStateDescriptor("seen", Types.BOOLEAN())
        descriptor.enable_time_to_live(ttl)
        self.seen = runtime_context.get_state(descriptor)

    def process_element(self, value, ctx):
        if not self.seen.value():
            self.seen.update(True)
            yield value


env = StreamExecutionEnvironment.get_execution_environment()
(
    env.from_collection(["u1", "u2", "u1", "u3", "u2", "u1"], type_info=Types.STRING())
    .key_by(lambda v: v)
    .process(Dedup(), output_type=Types.STRING())
    .print()
)
env.execute("p14")
