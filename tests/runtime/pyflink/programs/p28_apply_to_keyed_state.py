"""Embedded-only: ``apply_to_keyed_state`` on the broadcast side (in Flink's Java API, not in PyFlink)."""

from pyflink.common import Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import KeyedBroadcastProcessFunction
from pyflink.datastream.state import ListStateDescriptor, MapStateDescriptor

RULES = MapStateDescriptor("rules", Types.STRING(), Types.INT())


class Threshold(KeyedBroadcastProcessFunction):
    """Readings above their sensor type's broadcast threshold; readings before the rule wait in state."""

    def open(self, runtime_context):
        self.pending = runtime_context.get_list_state(ListStateDescriptor("pending", Types.INT()))

    def process_element(self, value, ctx):
        threshold = ctx.get_broadcast_state(RULES).get(value[0])
        if threshold is None:
            self.pending.add(value[1])
        elif value[1] > threshold:
            yield f"{value[0]} alert {value[1]}"

    def process_broadcast_element(self, value, ctx):
        ctx.get_broadcast_state(RULES).put(value[0], value[1])
        released = []

        def flush(key, state):
            if key == value[0]:
                released.extend(reading for reading in state.get() if reading > value[1])
                state.clear()

        ctx.apply_to_keyed_state(ListStateDescriptor("pending", Types.INT()), flush)
        for reading in released:
            yield f"{value[0]} alert {reading}"


env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(2)
rules = env.from_collection([("temp", 30), ("hum", 80)]).broadcast(RULES)
readings = env.from_collection([("temp", 25), ("temp", 35), ("hum", 85), ("hum", 70), ("temp", 31)])
(readings.key_by(lambda r: r[0]).connect(rules).process(Threshold(), output_type=Types.STRING()).print())
env.execute("p28")
