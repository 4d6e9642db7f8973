"""The clear error for PyFlink classes the embedded runtime does not run (Kafka, JDBC, …)."""

from __future__ import annotations

from typing import Any


class UnsupportedOnEmbeddedRuntime(NotImplementedError):
    """Raised when a job uses a PyFlink class the embedded runtime does not implement."""


def unsupported(class_path: str, hint: str = "") -> UnsupportedOnEmbeddedRuntime:
    """The error naming ``class_path`` (and what to do instead)."""
    tail = (
        f" {hint}"
        if hint
        else (
            " Run the application on the Flink runtime (configure a Flink cluster), or use "
            "FileSource/FileSink, Kinesis, NumberSequenceSource or from_collection."
        )
    )
    return UnsupportedOnEmbeddedRuntime(f"not supported on the embedded runtime: {class_path}.{tail}")


def require_supported(source: Any) -> None:
    """Refuse anything that is not an embedded-runtime source."""
    from stream_runtime.sources import Source

    if not isinstance(source, Source):
        raise unsupported(f"{type(source).__module__}.{type(source).__qualname__}")


def unsupported_module(module: str) -> Any:
    """A module ``__getattr__`` that refuses every name of a connector module the runtime lacks."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise unsupported(f"{module}.{name}")

    return __getattr__
