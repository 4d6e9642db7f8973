"""Layer tests: key groups, serialisation, metadata, storage layout, coordinator rules, state and timers."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, ClassVar

import pytest

from stream_runtime import (
    CheckpointedFunction,
    KeyedProcessFunction,
    ListStateDescriptor,
    MapStateDescriptor,
    ReducingStateDescriptor,
    SinkFunction,
    StreamExecutionEnvironment,
    ValueStateDescriptor,
    serde,
)
from stream_runtime.config import CheckpointConfig, RuntimeOverrides
from stream_runtime.engine.coordinator import CheckpointCoordinator, CheckpointFailureReason, FailureOutcome
from stream_runtime.eventtime import MIN_WATERMARK, WatermarkValve
from stream_runtime.process.launch import LaunchOptions, launch_options
from stream_runtime.state.backend import redistribute_operator_state
from stream_runtime.state.keygroups import (
    KeyGroupRange,
    assign_to_key_group,
    compute_default_max_parallelism,
    operator_index_for_key_group,
)
from stream_runtime.storage import CheckpointLayout, CheckpointMetadata, LocalCheckpointStorage, MetadataError


def test_default_max_parallelism_follows_flink() -> None:
    assert compute_default_max_parallelism(1) == 128
    assert compute_default_max_parallelism(100) == 256  # roundUpToPowerOfTwo(150)
    assert compute_default_max_parallelism(20_000) == 32_768


@pytest.mark.parametrize("parallelism", [1, 2, 3, 4, 7])
def test_key_group_ranges_partition_all_groups_and_match_operator_index(parallelism: int) -> None:
    max_p = 128
    ranges = [KeyGroupRange.for_subtask(max_p, parallelism, i) for i in range(parallelism)]
    assert ranges[0].start == 0 and ranges[-1].end == max_p - 1
    for a, b in itertools.pairwise(ranges):
        assert b.start == a.end + 1
    for kg in range(max_p):
        assert kg in ranges[operator_index_for_key_group(max_p, parallelism, kg)]


def test_key_groups_are_stable_and_not_pythons_hash() -> None:
    assert assign_to_key_group("user-42", 128) == assign_to_key_group("user-42", 128)
    assert assign_to_key_group((1, "a"), 32_768) == assign_to_key_group((1, "a"), 32_768)
    spread = {assign_to_key_group(i, 128) for i in range(2000)}
    assert len(spread) == 128


def test_serde_round_trips_plain_values_tuples_and_objects() -> None:
    value = {(1, "x"): [(3, (4, 5)), b"raw", None, 1.5], "set": frozenset({1})}
    assert serde.loads(serde.dumps(value)) == value


def test_metadata_checksum_detects_corruption() -> None:
    metadata = CheckpointMetadata(3, "job", 1, 1, 128, {"op": {"files": ["a"]}})
    raw = bytearray(metadata.to_bytes())
    assert CheckpointMetadata.from_bytes(bytes(raw)).operators == {"op": {"files": ["a"]}}
    raw[-1] ^= 0xFF
    with pytest.raises(MetadataError, match="checksum"):
        CheckpointMetadata.from_bytes(bytes(raw))


def test_layout_ignores_torn_directories_and_keeps_counter(tmp_path: Path) -> None:
    storage = LocalCheckpointStorage(tmp_path)
    layout = CheckpointLayout(storage, "job")
    storage.publish("job/chk-4/_metadata", CheckpointMetadata(4, "job", 1, 1, 128).to_bytes())
    storage.write("job/chk-5/op0-0.state", b"partial")
    storage.write("job/chk-6/_metadata", b"garbage")
    assert layout.latest_completed().checkpoint_id == 4  # type: ignore[union-attr]
    assert layout.read_counter() == 6
    assert layout.clean_torn() == [5, 6]
    assert layout.checkpoint_ids() == [4]


def _config(**kwargs: Any) -> CheckpointConfig:
    config = CheckpointConfig()
    config.set_checkpoint_interval(kwargs.pop("interval", 1000))
    for name, value in kwargs.items():
        getattr(config, f"set_{name}")(value)
    return config


def test_coordinator_interval_min_pause_and_max_concurrent() -> None:
    coordinator = CheckpointCoordinator(_config(min_pause_between_checkpoints=500), 7, start_time=0.0)
    assert not coordinator.should_trigger(0.5)
    assert coordinator.should_trigger(1.0)
    assert coordinator.trigger(1.0, 0).checkpoint_id == 8  # ids continue after the previous run's
    assert not coordinator.should_trigger(2.5)  # min pause forces one at a time
    coordinator.complete(8, 2.6, 10)
    assert not coordinator.should_trigger(3.0)  # 0.4 s since completion < min pause
    assert coordinator.should_trigger(3.1)

    concurrent = CheckpointCoordinator(_config(max_concurrent_checkpoints=2), 0, start_time=0.0)
    concurrent.trigger(1.0, 0)
    assert concurrent.should_trigger(2.0)
    concurrent.trigger(2.0, 0)
    assert not concurrent.should_trigger(3.0)


def test_coordinator_counts_only_flink_counted_failures_and_resets_on_success() -> None:
    coordinator = CheckpointCoordinator(
        _config(tolerable_checkpoint_failure_number=1, checkpoint_timeout=100), 0, 0.0
    )
    first = coordinator.trigger(1.0, 0).checkpoint_id
    assert coordinator.expired(1.05) == []
    assert coordinator.expired(1.2) == [first]
    assert (
        coordinator.fail(first, 1.2, CheckpointFailureReason.CHECKPOINT_EXPIRED, "x")[1]
        is FailureOutcome.CONTINUE
    )
    subsumed = coordinator.trigger(2.0, 0).checkpoint_id
    outcome = coordinator.fail(subsumed, 2.1, CheckpointFailureReason.CHECKPOINT_SUBSUMED, "x")[1]
    assert outcome is FailureOutcome.CONTINUE and coordinator.consecutive_failures == 1
    ok = coordinator.trigger(3.0, 0).checkpoint_id
    coordinator.complete(ok, 3.1, 1)
    assert coordinator.consecutive_failures == 0
    for now in (4.0, 5.0):
        cid = coordinator.trigger(now, 0).checkpoint_id
        outcome = coordinator.fail(cid, now + 0.01, CheckpointFailureReason.IO_EXCEPTION, "disk")[1]
    assert outcome is FailureOutcome.FAIL_JOB


def test_overrides_win_over_job_code() -> None:
    config = _config(interval=10_000, min_pause_between_checkpoints=0)
    RuntimeOverrides(checkpoint_interval_ms=60_000, min_pause_between_checkpoints_ms=5000).apply(config)
    assert (config.checkpoint_interval_ms, config.min_pause_between_checkpoints_ms) == (60_000, 5000)
    RuntimeOverrides(checkpointing_enabled=False).apply(config)
    assert not config.is_checkpointing_enabled()


def test_operator_state_redistribution_even_split_and_union() -> None:
    snapshots = [{"offsets": ["split", [1, 2, 3]], "all": ["union", ["a"]]}, {"offsets": ["split", [4]]}]
    result = redistribute_operator_state(snapshots, 3)  # type: ignore[arg-type]
    assert [r["offsets"][1] for r in result] == [[1, 2], [3], [4]]
    assert all(r["all"][1] == ["a"] for r in result)


class _Collect(SinkFunction):
    """Collects into a list shared through a class attribute (in-process tests only)."""

    seen: ClassVar[list[Any]] = []

    def invoke(self, value: Any, context: Any = None) -> None:
        _Collect.seen.append(value)


class _AllStates(KeyedProcessFunction, CheckpointedFunction):
    def open(self, runtime_context: Any) -> None:
        self.values = runtime_context.get_list_state(ListStateDescriptor("values"))
        self.by_parity = runtime_context.get_map_state(MapStateDescriptor("parity"))
        self.total = runtime_context.get_reducing_state(ReducingStateDescriptor("total", lambda a, b: a + b))
        self.fired = runtime_context.get_state(ValueStateDescriptor("fired"))

    def initialize_state(self, context: Any) -> None:
        self.restored = context.is_restored()
        self.seen = context.get_operator_state_store().get_list_state(ListStateDescriptor("seen"))

    def process_element(self, value: Any, ctx: Any) -> Any:
        self.values.add(value)
        self.by_parity.put(value % 2, value)
        self.total.add(value)
        self.seen.add(value)
        ctx.timer_service().register_processing_time_timer(ctx.timer_service().current_processing_time())
        return None

    def on_timer(self, timestamp: int, ctx: Any) -> Any:
        if not self.fired.value():
            self.fired.update(True)
            yield (
                ctx.get_current_key(),
                sorted(self.values.get()),
                dict(self.by_parity.items()),
                self.total.get(),
            )


def test_keyed_state_kinds_and_processing_time_timers(tmp_path: Path) -> None:
    _Collect.seen = []
    env = StreamExecutionEnvironment.get_execution_environment()
    env.enable_checkpointing(10)
    env.set_parallelism(2)
    env.from_collection(list(range(6))).key_by(lambda n: n % 2).process(_AllStates()).add_sink(_Collect())
    options = LaunchOptions(job_id="units", storage=LocalCheckpointStorage(tmp_path), log=lambda _: None)
    with launch_options(options):
        result = env.execute("units")
    assert sorted(_Collect.seen) == [(0, [0, 2, 4], {0: 4}, 6), (1, [1, 3, 5], {1: 5}, 9)]
    assert result.checkpoints and result.checkpoints[-1]["status"] == "COMPLETED"
    latest = CheckpointLayout(LocalCheckpointStorage(tmp_path), "units").latest_completed()
    assert latest is not None and latest.metadata.parallelism == 2


class _Reminder(KeyedProcessFunction):
    def process_element(self, value: Any, ctx: Any) -> Any:
        ctx.timer_service().register_processing_time_timer(
            ctx.timer_service().current_processing_time() + 60_000
        )
        return None

    def on_timer(self, timestamp: int, ctx: Any) -> Any:
        yield ("timer", ctx.get_current_key())


def _reminder_job() -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.enable_checkpointing(10)
    env.from_collection(["a", "b"]).uid("src").key_by(lambda v: v).process(_Reminder()).uid("rem").add_sink(
        _Collect()
    ).uid("sink")
    return env


def test_processing_time_timers_are_part_of_the_checkpoint(tmp_path: Path) -> None:
    _Collect.seen = []
    storage = LocalCheckpointStorage(tmp_path)
    with launch_options(
        LaunchOptions(job_id="timers", storage=storage, log=lambda _: None, wall_clock=lambda: 1000.0)
    ):
        _reminder_job().execute("first run")
    assert _Collect.seen == []
    latest = CheckpointLayout(storage, "timers").latest_completed()
    assert latest is not None
    restore = LocalCheckpointStorage(storage.describe(latest.directory))
    later = LaunchOptions(
        job_id="timers",
        storage=storage,
        restore_storage=restore,
        log=lambda _: None,
        wall_clock=lambda: 1061.0,
    )
    with launch_options(later):
        _reminder_job().execute("restored run")
    assert sorted(_Collect.seen) == [("timer", "a"), ("timer", "b")]


@pytest.mark.parametrize("last_idle", [0, 1])
def test_watermark_valve_flushes_the_highest_watermark_when_every_channel_is_idle(last_idle: int) -> None:
    """Subtask 0 read everything (watermark 999) while subtask 1 never got a record: whichever of them
    goes idle last, the 999 reaches downstream (a restored job whose first fetch read all records saw
    subtask 0 go idle first, and its windows never fired)."""
    valve = WatermarkValve()
    valve.add_channel(0)
    valve.add_channel(1)
    assert valve.on_watermark(0, 999) is None  # channel 1 is active at MIN and holds it back
    assert valve.on_idle(1 - last_idle, True) == ((999, None) if last_idle == 0 else (None, None))
    assert valve.on_idle(last_idle, True) == ((None, True) if last_idle == 0 else (999, True))
    assert valve.current == 999
    assert valve.on_idle(1, False) == (None, False)  # an idle channel coming back never lowers it
    assert valve.on_watermark(1, MIN_WATERMARK) is None and valve.current == 999
