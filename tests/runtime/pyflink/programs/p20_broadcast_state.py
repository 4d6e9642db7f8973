from pyflink.common import Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import KeyedBroadcastProcessFunction
from pyflink.datastream.state import ListStateDescriptor, MapStateDescriptor

RULES = MapStateDescriptor("rules", Types.STRING(), Types.INT())
END_OF_TIME = 10**15


class Threshold(KeyedBroadcastProcessFunction):
    """Readings above their sensor type's broadcast threshold; readings that arrive before their rule wait in
    state until the end of input (the final watermark fires the timer)."""

    def open(self, runtime_context):
        self.pending = runtime_context.get_list_state(ListStateDescriptor("pending", Types.INT()))

    def process_element(self, value, ctx):
        threshold = ctx.get_broadcast_state(RULES).get(value[0])
        if threshold is None:
            self.pending.add(value[1])
            ctx.timer_service().register_event_time_timer(END_OF_TIME)
        elif value[1] > threshold:
            yield f"{value[0]} alert {value[1]}"

    def process_broadcast_element(self, value, ctx):
        ctx.get_broadcast_state(RULES).put(value[0], value[1])

    def on_timer(self, timestamp, ctx):
        threshold = ctx.get_broadcast_state(RULES).get(ctx.get_current_key())
        for reading in self.pending.get():
            if threshold is not None and reading > threshold:
                yield f"{ctx.get_current_key()} alert {reading}"
        self.pending.clear()


env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(2)
rules = env.from_collection([("temp", 30), ("hum", 80)]).broadcast(RULES)
readings = env.from_collection([("temp", 25), ("temp", 35), ("hum", 85), ("hum", 70), ("temp", 31)])
(readings.key_by(lambda r: r[0]).connect(rules).process(Threshold(), output_type=Types.STRING()).print())
env.execute("p20")
