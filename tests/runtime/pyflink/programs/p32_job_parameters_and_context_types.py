"""Global job parameters reach every function's runtime context; PyFlink's nested context types
(``ProcessWindowFunction.Context``, ``KeyedProcessFunction.Context``) work as annotations."""

from collections.abc import Iterable

from pyflink.common import Time, Types, WatermarkStrategy
from pyflink.common.watermark_strategy import TimestampAssigner
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import KeyedProcessFunction, ProcessWindowFunction, RuntimeContext
from pyflink.datastream.window import TumblingEventTimeWindows


class EventTime(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value[1]


class Label(ProcessWindowFunction):
    def open(self, runtime_context: RuntimeContext):
        self.prefix = runtime_context.get_job_parameter("prefix", "none")

    def process(
        self, key: str, context: ProcessWindowFunction.Context, elements: Iterable[tuple]
    ) -> Iterable[str]:
        window = context.window()
        yield f"{self.prefix} {key} [{window.start},{window.end}) n={len(list(elements))}"


class Stamp(KeyedProcessFunction):
    def open(self, runtime_context: RuntimeContext):
        self.missing = runtime_context.get_job_parameter("absent", "default")

    def process_element(self, value, ctx: KeyedProcessFunction.Context):
        yield f"{self.missing} {ctx.get_current_key()} at {ctx.timestamp()}"


env = StreamExecutionEnvironment.get_execution_environment()
env.get_config().set_global_job_parameters({"prefix": "w"})
events = env.from_collection(
    [("a", 1000), ("b", 2000), ("a", 3000), ("a", 6000)], type_info=Types.TUPLE([Types.STRING(), Types.INT()])
).assign_timestamps_and_watermarks(
    WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(EventTime())
)
keyed = events.key_by(lambda e: e[0])
keyed.window(TumblingEventTimeWindows.of(Time.seconds(5))).process(
    Label(), output_type=Types.STRING()
).print()
keyed.process(Stamp(), output_type=Types.STRING()).print()
env.execute("p32")
