"""``pyflink.datastream.connectors.file_system``: FileSource (text lines) and an exactly-once FileSink."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from stream_runtime.pyflink.common.serialization import Encoder
from stream_runtime.sinks.file import ExactlyOnceFileSink
from stream_runtime.sources import FileSource as _LineFileSource
from stream_runtime.unsupported import unsupported


class StreamFormat:
    """How a file is read: text lines (UTF-8)."""

    def __init__(self, name: str) -> None:
        self.name = name

    @staticmethod
    def text_line_format(charset_name: str = "UTF-8") -> StreamFormat:
        """One record per line, without the line break."""
        if charset_name.upper().replace("-", "") != "UTF8":
            raise ValueError("the embedded FileSource reads UTF-8 only")
        return StreamFormat("text_line")


class _FileSource(_LineFileSource):
    """Lines of the given files, and of the (non-hidden) files directly inside the given folders, in name
    order; a byte offset per file is checkpointed."""

    def create_splits(self, parallelism: int, clock: Callable[[], float]) -> list[Any]:
        files: list[str] = []
        for path in self.paths:
            if os.path.isdir(path):
                names = sorted(n for n in os.listdir(path) if not n.startswith((".", "_")))
                files.extend(os.path.join(path, n) for n in names if os.path.isfile(os.path.join(path, n)))
            else:
                files.append(path)
        return [[path, 0, False] for path in files]


class FileSourceBuilder:
    """Builds a :class:`FileSource`."""

    def __init__(self, paths: tuple[str, ...]) -> None:
        self._paths = paths

    def monitor_continuously(self, discovery_interval: Any) -> FileSourceBuilder:
        """Continuous monitoring is not offered by the embedded FileSource."""
        raise unsupported("pyflink.datastream.connectors.file_system.FileSource.monitor_continuously")

    def process_static_file_set(self) -> FileSourceBuilder:
        """Read the files once (the default)."""
        return self

    def build(self) -> _FileSource:
        """The source."""
        return _FileSource(list(self._paths))


class FileSource:
    """PyFlink's FileSource:
    ``FileSource.for_record_stream_format(StreamFormat.text_line_format(), path).build()``."""

    @staticmethod
    def for_record_stream_format(stream_format: StreamFormat, *paths: str) -> FileSourceBuilder:
        """Read records of ``stream_format`` from files or folders."""
        return FileSourceBuilder(paths)

    @staticmethod
    def for_bulk_file_format(bulk_format: Any, *paths: str) -> FileSourceBuilder:
        """Bulk formats (Parquet, ORC, Avro) are not available."""
        raise unsupported(f"FileSource.for_bulk_file_format({type(bulk_format).__name__})")


class OutputFileConfig:
    """Part-file naming: ``<prefix>-<subtask>-<sequence>``."""

    def __init__(self, part_prefix: str = "part", part_suffix: str = "") -> None:
        self.part_prefix = part_prefix
        self.part_suffix = part_suffix

    @staticmethod
    def builder() -> OutputFileConfig.OutputFileConfigBuilder:
        """A builder."""
        return OutputFileConfig.OutputFileConfigBuilder()

    class OutputFileConfigBuilder:
        """Builds an :class:`OutputFileConfig`."""

        def __init__(self) -> None:
            self._config = OutputFileConfig()

        def with_part_prefix(self, prefix: str) -> OutputFileConfig.OutputFileConfigBuilder:
            """File name prefix."""
            self._config.part_prefix = prefix
            return self

        def with_part_suffix(self, suffix: str) -> OutputFileConfig.OutputFileConfigBuilder:
            """File name suffix."""
            self._config.part_suffix = suffix
            return self

        def build(self) -> OutputFileConfig:
            """The configuration."""
            return self._config


class RollingPolicy:
    """When part files roll: on the embedded runtime, at every checkpoint (and at the end of input)."""

    @staticmethod
    def default_rolling_policy(*args: Any, **kwargs: Any) -> RollingPolicy:
        """Accepted; files roll at checkpoints."""
        return RollingPolicy()

    @staticmethod
    def on_checkpoint_rolling_policy() -> RollingPolicy:
        """Roll at every checkpoint."""
        return RollingPolicy()


class FileSinkBuilder:
    """Builds a :class:`FileSink`."""

    def __init__(self, base_path: str, encoder: Encoder) -> None:
        self._base_path = base_path
        self._encoder = encoder
        self._config = OutputFileConfig()

    def with_output_file_config(self, config: OutputFileConfig) -> FileSinkBuilder:
        """Part-file naming."""
        self._config = config
        return self

    def with_rolling_policy(self, policy: RollingPolicy) -> FileSinkBuilder:
        """Accepted; files roll at checkpoints."""
        return self

    def with_bucket_check_interval(self, interval: int) -> FileSinkBuilder:
        """Accepted."""
        return self

    def with_bucket_assigner(self, assigner: Any) -> FileSinkBuilder:
        """Buckets are not available: files go directly into the base path."""
        raise unsupported(f"FileSink bucket assigner {type(assigner).__name__}")

    def enable_compact(self, *args: Any) -> FileSinkBuilder:
        """Compaction is not available."""
        raise unsupported("FileSink.enable_compact")

    def build(self) -> ExactlyOnceFileSink:
        """An exactly-once (two-phase commit) file sink."""
        if self._config.part_suffix:
            raise unsupported(
                "OutputFileConfig.with_part_suffix (part files are <prefix>-<subtask>-<sequence>)"
            )
        os.makedirs(self._base_path, exist_ok=True)
        return ExactlyOnceFileSink(self._base_path, self._config.part_prefix, self._encoder.encode)


class FileSink:
    """PyFlink's FileSink: ``FileSink.for_row_format(path, Encoder.simple_string_encoder()).build()``;
    exactly-once: a part file becomes visible when the checkpoint that covers it completes."""

    @staticmethod
    def for_row_format(base_path: str, encoder: Encoder) -> FileSinkBuilder:
        """One encoded line per record."""
        return FileSinkBuilder(base_path, encoder)

    @staticmethod
    def for_bulk_format(base_path: str, writer_factory: Any) -> FileSinkBuilder:
        """Bulk formats are not available."""
        raise unsupported(f"FileSink.for_bulk_format({type(writer_factory).__name__})")


__all__ = ["FileSink", "FileSource", "OutputFileConfig", "RollingPolicy", "StreamFormat"]
