from common_input import EVENTS, strategy
from pyflink.common import Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import KeyedProcessFunction
from pyflink.datastream.state import ValueStateDescriptor


class CountUntilQuiet(KeyedProcessFunction):
    """Counts a key's records; an event-time timer 3 s after the latest record reports the count."""

    def open(self, runtime_context):
        self.count = runtime_context.get_state(ValueStateDescriptor("count", Types.INT()))
        self.last = runtime_context.get_state(ValueStateDescriptor("last", Types.LONG()))

    def process_element(self, value, ctx):
        self.count.update((self.count.value() or 0) + 1)
        if self.last.value() is None or ctx.timestamp() > self.last.value():
            self.last.update(ctx.timestamp())
        ctx.timer_service().register_event_time_timer(ctx.timestamp() + 3000)

    def on_timer(self, timestamp, ctx):
        if timestamp == self.last.value() + 3000:
            yield f"{ctx.get_current_key()} quiet at {timestamp} after {self.count.value()} records"


env = StreamExecutionEnvironment.get_execution_environment()
(
    env.from_collection(EVENTS)
    .assign_timestamps_and_watermarks(strategy())
    .key_by(lambda e: e[0])
    .process(CountUntilQuiet(), output_type=Types.STRING())
    .print()
)
env.execute("p13")
