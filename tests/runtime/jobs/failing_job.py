"""A small bounded job whose function fails FAIL_TIMES times at the lifecycle point named by FAIL_IN.

STRATEGY selects the restart strategy the job code sets ("default" leaves Flink's default in place);
CHECKPOINTING=1 enables checkpointing (snapshot_state runs at least at the final checkpoint).
"""

import os

from stream_runtime import (
    CheckpointedFunction,
    DiscardingSink,
    ProcessFunction,
    RestartStrategies,
    StreamExecutionEnvironment,
)

FAIL_IN = os.environ["FAIL_IN"]
FAIL_TIMES = int(os.environ["FAIL_TIMES"])
COUNTER = os.path.join(os.environ["WORK_DIR"], "failures")


def maybe_fail(point: str) -> None:
    if point != FAIL_IN:
        return
    failures = 0
    if os.path.exists(COUNTER):
        with open(COUNTER) as handle:
            failures = int(handle.read())
    if failures < FAIL_TIMES:
        with open(COUNTER, "w") as handle:
            handle.write(str(failures + 1))
        raise RuntimeError(f"boom in {point} #{failures + 1}")


class Failing(ProcessFunction, CheckpointedFunction):
    def initialize_state(self, context):
        maybe_fail("initialize_state")

    def snapshot_state(self, context):
        maybe_fail("snapshot_state")

    def process_element(self, value, ctx):
        if value == 50:
            maybe_fail("process")
        yield value

    def close(self):
        maybe_fail("close")


def strategy(spec: str):
    kind, *args = spec.split(":")
    numbers = [float(a) for a in args]
    if kind == "none":
        return RestartStrategies.no_restart()
    if kind == "fixed":
        return RestartStrategies.fixed_delay_restart(int(numbers[0]), int(numbers[1]))
    if kind == "rate":
        return RestartStrategies.failure_rate_restart(int(numbers[0]), int(numbers[1]), int(numbers[2]))
    if kind == "exp":
        return RestartStrategies.exponential_delay_restart(
            initial_backoff_ms=int(numbers[0]),
            max_backoff_ms=int(numbers[1]),
            backoff_multiplier=numbers[2],
            jitter_factor=0.0,
        )
    return None


env = StreamExecutionEnvironment.get_execution_environment()
if os.environ.get("CHECKPOINTING") == "1":
    env.enable_checkpointing(20)
chosen = strategy(os.environ.get("STRATEGY", "default"))
if chosen is not None:
    env.set_restart_strategy(chosen)
env.from_collection(list(range(100))).process(Failing()).uid("failing").add_sink(DiscardingSink())
env.execute("failing-job")
