"""Sources: a collection, a deterministic rate-limitable number sequence, and a text/JSON-lines file."""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any


class SourceReader(ABC):
    """Reads the splits assigned to one subtask; its position is what a checkpoint stores."""

    @abstractmethod
    def poll(self, max_records: int) -> list[Any]:
        """Up to ``max_records`` records (possibly none right now)."""

    @abstractmethod
    def is_finished(self) -> bool:
        """True when a bounded reader has emitted everything."""

    @abstractmethod
    def snapshot(self) -> list[Any]:
        """The split states (positions) to store in a checkpoint."""


class Source(ABC):
    """A replayable source: splits with positions, read by one reader per subtask."""

    default_parallelism: int | None = None

    @abstractmethod
    def create_splits(self, parallelism: int, clock: Callable[[], float]) -> list[Any]:
        """Initial split states for a fresh start."""

    @abstractmethod
    def create_reader(self, splits: list[Any], parallelism: int, clock: Callable[[], float]) -> SourceReader:
        """A reader for the given split states."""


class CollectionSource(Source):
    """Emits the elements of a list once (non-parallel, like Flink's fromCollection)."""

    default_parallelism = 1

    def __init__(self, elements: Sequence[Any]) -> None:
        self.elements = list(elements)

    def create_splits(self, parallelism: int, clock: Callable[[], float]) -> list[Any]:
        return [0]

    def create_reader(self, splits: list[Any], parallelism: int, clock: Callable[[], float]) -> SourceReader:
        return _CollectionReader(self.elements, splits)


class _CollectionReader(SourceReader):
    def __init__(self, elements: list[Any], splits: list[Any]) -> None:
        self.elements = elements
        self.offset = int(splits[0]) if splits else len(elements)

    def poll(self, max_records: int) -> list[Any]:
        batch = self.elements[self.offset : self.offset + max_records]
        self.offset += len(batch)
        return batch

    def is_finished(self) -> bool:
        return self.offset >= len(self.elements)

    def snapshot(self) -> list[Any]:
        return [self.offset]


class NumberSequenceSource(Source):
    """Numbers ``start..end`` (inclusive; unbounded when ``end`` is None), optionally rate-limited.

    Deterministic and replayable: the position of each split is the next number to emit.
    """

    def __init__(self, start: int, end: int | None = None, records_per_second: float | None = None) -> None:
        self.start = start
        self.end = end
        self.records_per_second = records_per_second

    def create_splits(self, parallelism: int, clock: Callable[[], float]) -> list[Any]:
        if self.end is None:
            return [[self.start + i, None, parallelism] for i in range(parallelism)]
        total = self.end - self.start + 1
        splits = []
        for i in range(parallelism):
            lo = self.start + i * total // parallelism
            hi = self.start + (i + 1) * total // parallelism - 1
            splits.append([lo, hi, 1])
        return splits

    def create_reader(self, splits: list[Any], parallelism: int, clock: Callable[[], float]) -> SourceReader:
        rate = None if self.records_per_second is None else self.records_per_second / parallelism
        return _SequenceReader([list(s) for s in splits], rate, clock)


class _SequenceReader(SourceReader):
    """Split state ``[next, last (None = unbounded), stride]``."""

    def __init__(self, splits: list[list[Any]], rate: float | None, clock: Callable[[], float]) -> None:
        self.splits = splits
        self.rate = rate
        self.clock = clock
        self.started = clock()
        self.emitted = 0

    def poll(self, max_records: int) -> list[Any]:
        if self.rate is not None:
            allowed = int((self.clock() - self.started) * self.rate) - self.emitted
            max_records = min(max_records, allowed)
        for split in self.splits:
            nxt, last, stride = split
            if last is not None and nxt > last:
                continue
            if max_records <= 0:
                return []
            stop = nxt + max_records * stride
            if last is not None:
                stop = min(stop, last + 1)
            batch = list(range(nxt, stop, stride))
            split[0] = nxt + len(batch) * stride
            self.emitted += len(batch)
            return batch
        return []

    def is_finished(self) -> bool:
        return all(last is not None and nxt > last for nxt, last, _ in self.splits)

    def snapshot(self) -> list[Any]:
        return [list(s) for s in self.splits]


class FileSource(Source):
    """Reads lines of text files (or JSON lines with ``json_lines=True``), tracking a byte offset per file.

    ``starting_offset`` is ``"earliest"`` or ``"latest"`` (like a Kafka consumer without committed offsets);
    with ``monitor=True`` the files are tailed until a line equal to ``end_marker`` is read.
    """

    def __init__(
        self,
        paths: str | Sequence[str],
        json_lines: bool = False,
        starting_offset: str = "earliest",
        monitor: bool = False,
        end_marker: str | None = None,
    ) -> None:
        if starting_offset not in ("earliest", "latest"):
            raise ValueError("starting_offset must be 'earliest' or 'latest'")
        self.paths = [paths] if isinstance(paths, str) else list(paths)
        self.json_lines = json_lines
        self.starting_offset = starting_offset
        self.monitor = monitor
        self.end_marker = end_marker

    def create_splits(self, parallelism: int, clock: Callable[[], float]) -> list[Any]:
        splits = []
        for path in self.paths:
            offset = 0
            if self.starting_offset == "latest" and os.path.exists(path):
                offset = os.path.getsize(path)
            splits.append([path, offset, False])
        return splits

    def create_reader(self, splits: list[Any], parallelism: int, clock: Callable[[], float]) -> SourceReader:
        return _FileReader([list(s) for s in splits], self)


class _FileReader(SourceReader):
    """Split state ``[path, byte offset of the next unread line, finished]``."""

    def __init__(self, splits: list[list[Any]], source: FileSource) -> None:
        self.splits = splits
        self.source = source

    def poll(self, max_records: int) -> list[Any]:
        out: list[Any] = []
        for split in self.splits:
            if not split[2]:
                self._read_split(split, max_records - len(out), out)
            if len(out) >= max_records:
                break
        return out

    def _read_split(self, split: list[Any], budget: int, out: list[Any]) -> None:
        path, offset, _ = split
        if not os.path.exists(path):
            split[2] = not self.source.monitor
            return
        marker = self.source.end_marker
        with open(path, "rb") as handle:
            handle.seek(offset)
            for _ in range(budget):
                line = handle.readline()
                if not line.endswith(b"\n"):
                    if not self.source.monitor:
                        split[2] = True
                        if line:
                            offset += len(line)
                            out.append(self._decode(line))
                    break
                offset += len(line)
                text = line.decode().rstrip("\r\n")
                if marker is not None and text == marker:
                    split[2] = True
                    break
                out.append(self._decode(line))
        split[1] = offset

    def _decode(self, line: bytes) -> Any:
        text = line.decode().rstrip("\r\n")
        return json.loads(text) if self.source.json_lines else text

    def is_finished(self) -> bool:
        return all(split[2] for split in self.splits)

    def snapshot(self) -> list[Any]:
        return [list(s) for s in self.splits]
