"""``pyflink.common.Configuration`` (``ExecutionConfig`` lives with the environment it configures)."""

from __future__ import annotations


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
