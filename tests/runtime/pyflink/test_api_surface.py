"""The ``pyflink`` alias (job processes only, never shadowing a real installation), clear errors for what the
embedded runtime does not run, type checks of ``output_type``, state TTL and the metric group."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from stream_runtime.environment import StreamExecutionEnvironment
from stream_runtime.functions import KeyedProcessFunction, MapFunction
from stream_runtime.process.launch import LaunchOptions, launch_options
from stream_runtime.pyflink_imports import pyflink_imports
from stream_runtime.state.api import ValueStateDescriptor
from stream_runtime.state.ttl import StateTtlConfig
from stream_runtime.storage.local import LocalCheckpointStorage
from stream_runtime.timeutil import Time
from stream_runtime.typeinfo import Types
from stream_runtime.unsupported import UnsupportedOnEmbeddedRuntime


def _run_job(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    job = tmp_path / "main.py"
    job.write_text(textwrap.dedent(source))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "stream_runtime",
            "run",
            str(job),
            "--job-id",
            "j",
            "--checkpoint-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_pyflink_is_not_importable_outside_a_job_process() -> None:
    probe = "import importlib.util as u; s = u.find_spec('pyflink'); print(s.origin if s else None)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    origin = result.stdout.strip()
    assert origin == "None" or "stream_runtime" not in origin  # absent, or a real apache-flink installation


def test_alias_is_installed_only_inside_the_block() -> None:
    before = importlib.util.find_spec("pyflink")
    with pyflink_imports():
        import pyflink.datastream as datastream  # type: ignore[import-not-found]

        assert datastream.__name__ == "stream_runtime.pyflink.datastream"
    assert "pyflink.datastream" not in sys.modules
    assert importlib.util.find_spec("pyflink") == before


def test_a_job_process_runs_pyflink_code(tmp_path: Path) -> None:
    result = _run_job(
        tmp_path,
        """
        from pyflink.common import Types
        from pyflink.datastream import StreamExecutionEnvironment
        env = StreamExecutionEnvironment.get_execution_environment()
        numbers = env.from_collection([1, 2, 3], type_info=Types.INT())
        numbers.map(lambda v: v * 7, output_type=Types.INT()).print()
        env.execute("tiny")
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["7", "14", "21"]


def test_unsupported_connector_fails_at_job_start_naming_the_class(tmp_path: Path) -> None:
    result = _run_job(
        tmp_path,
        """
        from pyflink.datastream.connectors.kafka import KafkaSource
        """,
    )
    assert result.returncode != 0
    assert (
        "UnsupportedOnEmbeddedRuntime: not supported on the embedded runtime: "
        "pyflink.datastream.connectors.kafka.KafkaSource" in result.stderr
    )


def test_from_source_refuses_a_foreign_source_object() -> None:
    with pyflink_imports():
        from pyflink.datastream import StreamExecutionEnvironment as PyFlinkEnvironment

        class JavaBackedSource:
            pass

        with pytest.raises(UnsupportedOnEmbeddedRuntime, match="JavaBackedSource"):
            PyFlinkEnvironment.get_execution_environment().from_source(JavaBackedSource(), None, "s")  # type: ignore[arg-type]


def test_output_type_is_checked_at_the_producing_operator(tmp_path: Path) -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.from_collection(["1", "x"]).map(lambda v: int(v) if v.isdigit() else v, output_type=Types.INT()).uid(
        "parse"
    ).print()
    options = LaunchOptions(storage=LocalCheckpointStorage(str(tmp_path)), log=lambda _: None)
    expected = r"Operator 'parse' declared output_type=INT but produced 'x' \(str\)"
    with launch_options(options), pytest.raises(TypeError, match=expected):
        env.execute()


class _Clock:
    """A wall clock the test moves (seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _Remember(KeyedProcessFunction):
    """Moves the clock by each record's third field (seconds), then reads and writes a TTL'd value."""

    def __init__(self, clock: _Clock) -> None:
        self.clock = clock

    def open(self, runtime_context):  # type: ignore[no-untyped-def]
        descriptor = ValueStateDescriptor("last")
        descriptor.enable_time_to_live(StateTtlConfig.new_builder(Time.seconds(10)).build())
        self.last = runtime_context.get_state(descriptor)

    def process_element(self, value, ctx):  # type: ignore[no-untyped-def]
        self.clock.now += value[2]
        yield f"{value[0]} previous={self.last.value()}"
        self.last.update(value[1])


def test_state_ttl_expires_values_in_processing_time(tmp_path: Path) -> None:
    clock = _Clock()
    env = StreamExecutionEnvironment.get_execution_environment()
    events = [("k", 1, 0), ("k", 2, 4), ("k", 3, 11), ("k", 4, 9), ("k", 5, 1)]
    stream = env.from_collection(events).key_by(lambda v: v[0]).process(_Remember(clock))
    options = LaunchOptions(
        storage=LocalCheckpointStorage(str(tmp_path)), log=lambda _: None, wall_clock=clock
    )
    with launch_options(options):
        lines = list(stream.execute_and_collect())
    # written at 1000 s, read at 1004 (alive), written at 1004, read at 1015 (11 s later: expired),
    # written at 1015, read at 1024 (9 s: alive), written at 1024, read at 1025 (alive)
    assert lines == ["k previous=None", "k previous=1", "k previous=None", "k previous=3", "k previous=4"]


def test_metric_group_counts_per_subtask(tmp_path: Path) -> None:
    seen: list[dict[str, object]] = []

    class Counting(MapFunction):
        def open(self, runtime_context):  # type: ignore[no-untyped-def]
            self.group = runtime_context.get_metrics_group().add_group("app")
            self.counter = self.group.counter("records")
            self.meter = self.group.meter("rate")
            self.group.gauge("last", lambda: self.last)
            self.last = None

        def map(self, value):  # type: ignore[no-untyped-def]
            self.counter.inc()
            self.meter.mark_event()
            self.last = value
            return value

        def close(self) -> None:
            seen.append(self.group.snapshot())

    env = StreamExecutionEnvironment.get_execution_environment()
    stream = env.from_collection([5, 6, 7]).map(Counting()).name("count")
    with launch_options(LaunchOptions(storage=LocalCheckpointStorage(str(tmp_path)), log=lambda _: None)):
        assert list(stream.execute_and_collect()) == [5, 6, 7]
    assert seen[0]["count.0.app.records"] == 3
    assert seen[0]["count.0.app.last"] == 7
    assert seen[0]["count.0.app.rate"]["count"] == 3  # type: ignore[index]


def test_file_source_reads_a_folder_and_file_sink_commits(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "b.txt").write_text("3\n4\n")
    (inputs / "a.txt").write_text("1\n2\n")
    (inputs / ".hidden").write_text("99\n")
    with pyflink_imports():
        from pyflink.common import Encoder, WatermarkStrategy
        from pyflink.datastream import StreamExecutionEnvironment as PyFlinkEnvironment
        from pyflink.datastream.connectors.file_system import FileSink, FileSource, StreamFormat

        env = PyFlinkEnvironment.get_execution_environment()
        env.enable_checkpointing(50)
        source = FileSource.for_record_stream_format(StreamFormat.text_line_format(), str(inputs)).build()
        sink = FileSink.for_row_format(str(tmp_path / "out"), Encoder.simple_string_encoder()).build()
        env.from_source(source, WatermarkStrategy.no_watermarks(), "files").map(
            lambda v: int(v) * 10
        ).sink_to(sink)
        with launch_options(
            LaunchOptions(storage=LocalCheckpointStorage(str(tmp_path / "ck")), log=lambda _: None)
        ):
            env.execute("files")
    committed = [p for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")]
    lines = [line for part in sorted(committed) for line in part.read_text().splitlines()]
    assert lines == ["10", "20", "30", "40"]


def test_kinesis_streams_sink_builder_takes_flink_property_keys() -> None:
    with pyflink_imports():
        from pyflink.common import SimpleStringSchema
        from pyflink.datastream.connectors.kinesis import KinesisStreamsSink, PartitionKeyGenerator

        sink = (
            KinesisStreamsSink.builder()
            .set_stream_name("out")
            .set_serialization_schema(SimpleStringSchema())
            .set_partition_key_generator(PartitionKeyGenerator.fixed())
            .set_kinesis_client_properties({"aws.region": "eu-west-1", "aws.endpoint": "http://127.0.0.1:1"})
            .set_max_batch_size(100)
            .build()
        )
    assert (sink.stream_name, sink.region_name, sink.endpoint_url) == (
        "out",
        "eu-west-1",
        "http://127.0.0.1:1",
    )
    assert sink.max_batch_records == 100 and sink.partition_key_generator("x") == "0"


def test_the_table_api_fails_at_job_start_with_a_clear_error(tmp_path: Path) -> None:
    result = _run_job(tmp_path, "from pyflink.table import TableEnvironment\n")
    assert result.returncode != 0
    assert "not supported on the embedded runtime: pyflink.table (the Table API and SQL)" in result.stderr


def test_force_non_parallel_pins_the_operator_to_one_subtask() -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    forced = env.from_collection([1]).map(lambda v: v).force_non_parallel()
    assert (forced.node.parallelism, forced.node.max_parallelism) == (1, 1)
    forced.set_parallelism(1)
    with pytest.raises(ValueError, match="The parallelism of non parallel operator must be 1"):
        forced.set_parallelism(2)


def test_project_needs_a_declared_tuple_type_and_fields_in_range() -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    with pytest.raises(TypeError, match="Only Tuple DataStreams can be projected"):
        env.from_collection([("a", 1)]).project(0)
    pairs = env.from_collection([("a", 1)], type_info=Types.TUPLE([Types.STRING(), Types.INT()]))
    with pytest.raises(IndexError, match="field index 2 is out of range for a tuple of 2 fields"):
        pairs.project(0, 2)
    assert str(pairs.project(1, 0).get_type()) == "TUPLE<INT, STRING>"


def test_keyed_and_cached_streams_refuse_what_pyflink_refuses() -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    keyed = env.from_collection([1]).key_by(lambda v: v)
    with pytest.raises(TypeError, match="Cache for KeyedStream is not supported"):
        keyed.cache()
    with pytest.raises(TypeError, match="Set force non-parallel for KeyedStream is not supported"):
        keyed.force_non_parallel()
    cached = env.from_collection([1]).map(lambda v: v).cache()
    with pytest.raises(TypeError, match="Set parallelism for CachedDataStream is not supported"):
        cached.set_parallelism(2)
    cached.invalidate()


def test_built_in_aggregations_follow_pyflink_rules() -> None:
    from stream_runtime.aggregations import AccumulateType, accumulator
    from stream_runtime.typeinfo import Row

    with pytest.raises(TypeError, match="must be of int or str type"):
        accumulator(1.5, AccumulateType.SUM)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="The 1 field selected on a basic type"):
        accumulator(1, AccumulateType.MAX)(3, 4)
    assert accumulator(0, AccumulateType.SUM)(3, 4) == 7
    assert accumulator(0, AccumulateType.MIN_BY)("b", "a") == "a"
    summed = accumulator("n", AccumulateType.SUM)(Row(k="a", n=1), Row(k="b", n=2))
    assert (summed.k, summed["n"], summed.as_dict()) == ("a", 3, {"k": "a", "n": 3})
    assert accumulator(1, AccumulateType.MAX)([0, 5], [9, 2]) == [0, 5]
    assert accumulator(1, AccumulateType.MAX_BY)(("x", 2), ("y", 2)) == ("x", 2)


def test_from_source_warns_that_real_pyflink_ignores_a_python_timestamp_assigner(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pyflink_imports():
        from pyflink.common import WatermarkStrategy
        from pyflink.datastream import StreamExecutionEnvironment as PyFlinkEnvironment
        from pyflink.datastream.connectors.number_seq import NumberSequenceSource

        env = PyFlinkEnvironment.get_execution_environment()
        strategy = WatermarkStrategy.for_monotonous_timestamps()
        env.from_source(NumberSequenceSource(1, 2), strategy, "plain")
        assert not caplog.records
        env.from_source(
            NumberSequenceSource(1, 2), strategy.with_timestamp_assigner(lambda v, t: v), "stamped"
        )
    assert "from_source('stamped'): real PyFlink ignores a Python timestamp assigner" in caplog.text


def test_configuration_sets_intervals_as_durations_and_the_restart_strategy() -> None:
    with pyflink_imports():
        from pyflink.common import Configuration
        from pyflink.datastream import StreamExecutionEnvironment as PyFlinkEnvironment

        config = Configuration()
        config.set_string("execution.checkpointing.interval", "2 s")
        config.set_string("pipeline.auto-watermark-interval", "50ms")
        config.set_string("restart-strategy.type", "fixed-delay")
        config.set_string("restart-strategy.fixed-delay.attempts", "4")
        config.set_string("restart-strategy.fixed-delay.delay", "1 min")
        env = PyFlinkEnvironment.get_execution_environment(config)
        assert (env.get_checkpoint_interval(), env.auto_watermark_interval_ms) == (2000, 50)
        assert env.restart_strategy.to_dict() == {"type": "fixed-delay", "attempts": 4, "delay_s": 60.0}
        config.set_string("restart-strategy.type", "none")
        assert (
            PyFlinkEnvironment.get_execution_environment(config).restart_strategy.to_dict()["type"] == "none"
        )
        config.set_string("restart-strategy.type", "exponential-delay")
        with pytest.raises(UnsupportedOnEmbeddedRuntime, match=r"restart-strategy\.type: exponential-delay"):
            PyFlinkEnvironment.get_execution_environment(config)


def test_runtime_context_names_its_subtask_and_reads_job_parameters() -> None:
    from stream_runtime.functions import RuntimeContext

    context = RuntimeContext("Map", 1, 2, 128, 3, False, None, {"region": "eu"})
    assert context.get_task_name_with_subtasks() == "Map (2/2)#3"
    assert (context.get_job_parameter("region", "x"), context.get_job_parameter("zone", "x")) == ("eu", "x")


def test_checkpoint_config_takes_flink_2_names() -> None:
    with pyflink_imports():
        from pyflink.datastream import ExternalizedCheckpointRetention
        from pyflink.datastream import StreamExecutionEnvironment as PyFlinkEnvironment

        config = PyFlinkEnvironment.get_execution_environment().get_checkpoint_config()
        config.set_externalized_checkpoint_retention(ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION)
        assert not config.get_externalized_checkpoint_retention().deletes_on_cancellation()
        config.set_externalized_checkpoint_retention(
            ExternalizedCheckpointRetention.NO_EXTERNALIZED_CHECKPOINTS
        )
        assert config.get_externalized_checkpoint_retention().deletes_on_cancellation()
        assert not config.is_externalized_checkpoints_enabled()
        config.set_fail_on_checkpointing_errors(False)
        assert config.get_tolerable_checkpoint_failure_number() == 2147483647
        assert not config.is_fail_on_checkpointing_errors()
        config.enable_unaligned_checkpoints()
        assert not config.is_unaligned_checkpoints_enabled()  # checkpoints stay aligned in one process
