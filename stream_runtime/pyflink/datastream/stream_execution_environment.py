"""``pyflink.datastream.StreamExecutionEnvironment`` on the embedded runtime."""

from __future__ import annotations

import logging
import os
import sys
from enum import Enum
from typing import Any

from stream_runtime.datastream import DataStream
from stream_runtime.environment import StreamExecutionEnvironment as _Environment
from stream_runtime.pyflink.common.configuration import Configuration
from stream_runtime.restart import RestartStrategies
from stream_runtime.sources import Source
from stream_runtime.unsupported import require_supported, unsupported

_log = logging.getLogger(__name__)
_UNITS_MS = {
    "": 1,
    "ms": 1,
    "milli": 1,
    "millis": 1,
    "s": 1000,
    "sec": 1000,
    "secs": 1000,
    "second": 1000,
    "seconds": 1000,
    "min": 60_000,
    "m": 60_000,
    "minute": 60_000,
    "minutes": 60_000,
    "h": 3_600_000,
}


def _millis(text: str) -> int:
    """Milliseconds of a Flink duration string (``500``, ``500 ms``, ``10 s``, ``1 min``, ``1 h``)."""
    number = text.strip().rstrip("abcdefghijklmnopqrstuvwxyz").strip()
    unit = text.strip()[len(number) :].strip().lower()
    if unit not in _UNITS_MS or not number.isdigit():
        raise ValueError(f"not a duration: {text!r}")
    return int(number) * _UNITS_MS[unit]


class RuntimeExecutionMode(Enum):
    """STREAMING (default), BATCH or AUTOMATIC; bounded jobs behave the same on the embedded runtime."""

    STREAMING = 0
    BATCH = 1
    AUTOMATIC = 2


class StreamExecutionEnvironment(_Environment):
    """PyFlink's environment: ``get_execution_environment(configuration)``, ``get_config()``,
    ``add_source``, ``set_runtime_mode`` and the sources of the embedded environment."""

    def __init__(self) -> None:
        super().__init__()
        self.runtime_mode = RuntimeExecutionMode.STREAMING
        self._buffer_timeout = 100

    @staticmethod
    def get_execution_environment(configuration: Configuration | None = None) -> StreamExecutionEnvironment:
        """A new environment; ``configuration`` may set ``parallelism.default``,
        ``execution.checkpointing.interval`` (ms) and ``pipeline.auto-watermark-interval`` (ms)."""
        env = StreamExecutionEnvironment()
        if configuration is not None:
            env.configure(configuration)
        return env

    def configure(self, configuration: Configuration) -> StreamExecutionEnvironment:
        """Apply the supported keys of ``configuration`` (durations as Flink writes them: ``500``, ``500 ms``,
        ``10 s``, ``1 min``); ``restart-strategy.type`` may be ``none`` or ``fixed-delay`` (with
        ``restart-strategy.fixed-delay.attempts`` and ``.delay``)."""
        values = configuration.to_dict()
        if "parallelism.default" in values:
            self.set_parallelism(int(values["parallelism.default"]))
        if "execution.checkpointing.interval" in values:
            self.enable_checkpointing(_millis(values["execution.checkpointing.interval"]))
        if "pipeline.auto-watermark-interval" in values:
            self.set_auto_watermark_interval(_millis(values["pipeline.auto-watermark-interval"]))
        kind = values.get("restart-strategy.type", "").strip().lower()
        if kind in ("none", "off", "disable"):
            self.set_restart_strategy(RestartStrategies.no_restart())
        elif kind in ("fixed-delay", "fixeddelay"):
            attempts = int(values.get("restart-strategy.fixed-delay.attempts", "1"))
            delay = _millis(values.get("restart-strategy.fixed-delay.delay", "1 s"))
            self.set_restart_strategy(RestartStrategies.fixed_delay_restart(attempts, delay))
        elif kind:
            raise unsupported(f"restart-strategy.type: {kind}", "Use none or fixed-delay.")
        return self

    def set_runtime_mode(self, execution_mode: RuntimeExecutionMode) -> StreamExecutionEnvironment:
        """Recorded; the embedded runtime streams in both modes."""
        self.runtime_mode = execution_mode
        return self

    def set_stream_time_characteristic(self, characteristic: Any) -> StreamExecutionEnvironment:
        """Accepted for older programs (event time is used whenever a watermark strategy is set)."""
        return self

    def get_checkpointing_mode(self) -> Any:
        """EXACTLY_ONCE or AT_LEAST_ONCE."""
        return self.checkpoint_config.get_checkpointing_mode()

    def disable_operator_chaining(self) -> StreamExecutionEnvironment:
        """Accepted for compatibility (one process runs every operator in one loop)."""
        return self

    def is_chaining_enabled(self) -> bool:
        """Operators of one process are always chained."""
        return True

    def set_buffer_timeout(self, timeout_millis: int) -> StreamExecutionEnvironment:
        """Accepted for compatibility: records reach the next operator as soon as they are produced."""
        self._buffer_timeout = int(timeout_millis)
        return self

    def get_buffer_timeout(self) -> int:
        """The value given to :meth:`set_buffer_timeout` (Flink's default: 100 ms)."""
        return self._buffer_timeout

    def set_python_executable(self, python_exec: str) -> None:
        """Embedded jobs run in the runtime's own interpreter: a no-op."""

    def close(self) -> None:
        """Nothing outlives a job on the embedded runtime (no cached results to release)."""

    def add_jars(self, *jars_path: str) -> None:
        """Jars are for the JVM; the embedded runtime's connectors are built in, so this is a no-op."""

    def add_classpaths(self, *classpaths: str) -> None:
        """No JVM on the embedded runtime: a no-op."""

    def add_python_file(self, file_path: str) -> None:
        """Make a module or folder importable by the job."""
        folder = file_path if os.path.isdir(file_path) else os.path.dirname(os.path.abspath(file_path))
        if folder not in sys.path:
            sys.path.append(folder)

    def set_python_requirements(
        self, requirements_file_path: str, requirements_cache_dir: str | None = None
    ) -> None:
        """Dependencies must already be installed where the embedded runtime runs: a no-op."""

    def add_source(
        self, source_func: Any, source_name: str = "Custom Source", type_info: Any = None
    ) -> DataStream:
        """A legacy source function (``FlinkKinesisConsumer``)."""
        return self.from_source(source_func, None, source_name, type_info)

    def from_source(
        self,
        source: Source,
        watermark_strategy: Any = None,
        source_name: str = "Source",
        type_info: Any = None,
    ) -> DataStream:
        require_supported(source)
        if getattr(watermark_strategy, "timestamp_assigner", None) is not None:
            _log.warning(
                "from_source(%r): real PyFlink ignores a Python timestamp assigner in the watermark "
                "strategy of from_source (records keep the source's timestamps, and event-time windows "
                "fail there); the embedded runtime applies it. To run the same on Flink, pass "
                "WatermarkStrategy.no_watermarks() and call .assign_timestamps_and_watermarks(strategy).",
                source_name,
            )
        return super().from_source(source, watermark_strategy, source_name, type_info)
