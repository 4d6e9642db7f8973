"""``pyflink.common.Configuration`` and ``ExecutionConfig``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stream_runtime.datastream import StreamExecutionEnvironment


class Configuration:
    """String key/value configuration (``pipeline.auto-watermark-interval``, ``parallelism.default`` and
    ``execution.checkpointing.interval`` are applied by ``StreamExecutionEnvironment(configuration)``)."""

    def __init__(self, other: Configuration | None = None) -> None:
        self._data: dict[str, str] = dict(other._data) if other is not None else {}

    def set_string(self, key: str, value: str) -> Configuration:
        """Set ``key``."""
        self._data[key] = str(value)
        return self

    def get_string(self, key: str, default_value: str) -> str:
        """Value of ``key`` or ``default_value``."""
        return self._data.get(key, default_value)

    def set_integer(self, key: str, value: int) -> Configuration:
        """Set an int."""
        return self.set_string(key, str(int(value)))

    def get_integer(self, key: str, default_value: int) -> int:
        """An int value."""
        return int(self._data.get(key, default_value))

    def set_boolean(self, key: str, value: bool) -> Configuration:
        """Set a bool."""
        return self.set_string(key, "true" if value else "false")

    def get_boolean(self, key: str, default_value: bool) -> bool:
        """A bool value."""
        return self._data.get(key, str(default_value)).lower() == "true"

    def contains_key(self, key: str) -> bool:
        """Whether ``key`` is set."""
        return key in self._data

    def remove_config(self, key: str) -> bool:
        """Remove ``key``; whether it was set."""
        return self._data.pop(key, None) is not None

    def key_set(self) -> set[str]:
        """Every key."""
        return set(self._data)

    def to_dict(self) -> dict[str, str]:
        """A copy as a dict."""
        return dict(self._data)

    def add_all(self, other: Configuration) -> Configuration:
        """Copy every entry of ``other``."""
        self._data.update(other._data)
        return self


class ExecutionConfig:
    """``env.get_config()``: job-level settings stored on the environment."""

    def __init__(self, env: StreamExecutionEnvironment) -> None:
        self._env = env
        self._parameters: dict[str, Any] = {}

    def set_auto_watermark_interval(self, interval: int) -> ExecutionConfig:
        """Periodic watermark interval (ms)."""
        self._env.set_auto_watermark_interval(interval)
        return self

    def get_auto_watermark_interval(self) -> int:
        """Periodic watermark interval (ms)."""
        return self._env.auto_watermark_interval_ms

    def set_parallelism(self, parallelism: int) -> ExecutionConfig:
        """Default parallelism."""
        self._env.set_parallelism(parallelism)
        return self

    def get_parallelism(self) -> int:
        """Default parallelism."""
        return self._env.get_parallelism()

    def set_max_parallelism(self, max_parallelism: int) -> ExecutionConfig:
        """Max parallelism."""
        self._env.set_max_parallelism(max_parallelism)
        return self

    def set_global_job_parameters(self, parameters: dict[str, Any]) -> ExecutionConfig:
        """Job parameters (kept; ``RuntimeContext.get_job_parameter`` reads them)."""
        self._parameters.update(parameters)
        return self

    def get_global_job_parameters(self) -> dict[str, Any]:
        """Job parameters."""
        return dict(self._parameters)
