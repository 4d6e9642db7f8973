"""Event time: watermark strategies and generators, the per-operator watermark valve, and the emitter
that assigns timestamps and generates watermarks at a source or ``assign_timestamps_and_watermarks``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from stream_runtime.timeutil import to_millis

MIN_WATERMARK = -(2**63)
MAX_WATERMARK = 2**63 - 1
DEFAULT_AUTO_WATERMARK_INTERVAL_MS = 200


class Watermark:
    """A watermark: no more records with a timestamp ≤ ``timestamp`` are expected."""

    def __init__(self, timestamp: int) -> None:
        self.timestamp = int(timestamp)

    def get_timestamp(self) -> int:
        """The watermark's time."""
        return self.timestamp

    def __repr__(self) -> str:
        return f"Watermark({self.timestamp})"


class WatermarkOutput:
    """Where a generator puts its watermarks (collected by the emitter)."""

    def __init__(self) -> None:
        self.watermark = MIN_WATERMARK
        self.idle = False

    def emit_watermark(self, watermark: Watermark | int) -> None:
        """Offer a watermark; lower ones than before are ignored."""
        value = watermark.timestamp if isinstance(watermark, Watermark) else int(watermark)
        self.idle = False
        if value > self.watermark:
            self.watermark = value

    def mark_idle(self) -> None:
        """Declare this output idle: it no longer holds back downstream watermarks."""
        self.idle = True

    def mark_active(self) -> None:
        """End idleness."""
        self.idle = False


class WatermarkGenerator(ABC):
    """Generates watermarks from events (``on_event``) and/or periodically (``on_periodic_emit``)."""

    @abstractmethod
    def on_event(self, event: Any, event_timestamp: int, output: WatermarkOutput) -> None:
        """Called for every record with its timestamp; may emit (a punctuated generator)."""

    def on_periodic_emit(self, output: WatermarkOutput) -> None:  # noqa: B027 - optional hook
        """Called every auto-watermark interval; may emit (a periodic generator)."""


class BoundedOutOfOrdernessWatermarks(WatermarkGenerator):
    """Periodic watermark ``max timestamp seen - bound - 1`` (Flink's generator of the same name)."""

    def __init__(self, max_out_of_orderness_ms: int) -> None:
        self.bound = max_out_of_orderness_ms
        self.max_timestamp = MIN_WATERMARK + max_out_of_orderness_ms + 1

    def on_event(self, event: Any, event_timestamp: int, output: WatermarkOutput) -> None:
        if event_timestamp > self.max_timestamp:
            self.max_timestamp = event_timestamp

    def on_periodic_emit(self, output: WatermarkOutput) -> None:
        output.emit_watermark(self.max_timestamp - self.bound - 1)


class _NoWatermarks(WatermarkGenerator):
    def on_event(self, event: Any, event_timestamp: int, output: WatermarkOutput) -> None:
        return None


class TimestampAssigner(ABC):
    """Extracts a record's event timestamp (ms since the epoch)."""

    @abstractmethod
    def extract_timestamp(self, value: Any, record_timestamp: int) -> int:
        """The timestamp of ``value`` (``record_timestamp`` is the one it already carries, or MIN)."""


def _callable(assigner: Any) -> Callable[[Any, int], int]:
    method = getattr(assigner, "extract_timestamp", None)
    return method if method is not None else assigner


class WatermarkStrategy:
    """How a stream gets timestamps and watermarks (PyFlink's ``WatermarkStrategy``)."""

    def __init__(
        self,
        generator_factory: Callable[[], WatermarkGenerator],
        timestamp_assigner: Any = None,
        idle_timeout_ms: int | None = None,
    ) -> None:
        self._factory = generator_factory
        self.timestamp_assigner = timestamp_assigner
        self.idle_timeout_ms = idle_timeout_ms

    @staticmethod
    def for_monotonous_timestamps() -> WatermarkStrategy:
        """Timestamps only increase: watermark = max timestamp - 1."""
        return WatermarkStrategy(lambda: BoundedOutOfOrdernessWatermarks(0))

    @staticmethod
    def for_bounded_out_of_orderness(max_out_of_orderness: Any) -> WatermarkStrategy:
        """Records are at most ``max_out_of_orderness`` (Duration or ms) late."""
        bound = to_millis(max_out_of_orderness)
        return WatermarkStrategy(lambda: BoundedOutOfOrdernessWatermarks(bound))

    @staticmethod
    def no_watermarks() -> WatermarkStrategy:
        """No watermarks (event time only ends at the end of input)."""
        return WatermarkStrategy(_NoWatermarks)

    @staticmethod
    def for_generator(generator_factory: Callable[[], WatermarkGenerator]) -> WatermarkStrategy:
        """A custom generator, created once per subtask by ``generator_factory()``."""
        return WatermarkStrategy(generator_factory)

    def with_timestamp_assigner(self, timestamp_assigner: Any) -> WatermarkStrategy:
        """Use ``timestamp_assigner`` (a TimestampAssigner or ``f(value, record_timestamp)``)."""
        return WatermarkStrategy(self._factory, timestamp_assigner, self.idle_timeout_ms)

    def with_idleness(self, idle_timeout: Any) -> WatermarkStrategy:
        """Mark a subtask idle after ``idle_timeout`` without records, so it stops holding back watermarks."""
        return WatermarkStrategy(self._factory, self.timestamp_assigner, to_millis(idle_timeout))

    def with_watermark_alignment(self, *args: Any, **kwargs: Any) -> WatermarkStrategy:
        """Accepted for compatibility; all subtasks run in one loop, so sources are aligned already."""
        return self

    def create_watermark_generator(self) -> WatermarkGenerator:
        """A fresh generator for one subtask."""
        return self._factory()


class WatermarkValve:
    """Combines the watermarks of an operator's input channels: the minimum over active channels
    (Flink's StatusWatermarkValve). Idle channels do not hold the watermark back."""

    def __init__(self) -> None:
        self.channels: dict[int, list[Any]] = {}
        self.current = MIN_WATERMARK
        self.idle = False

    def add_channel(self, channel: int) -> None:
        """Register an input channel (before any element flows)."""
        self.channels[channel] = [MIN_WATERMARK, False]

    def _combined(self) -> int | None:
        active = [wm for wm, idle in self.channels.values() if not idle]
        return min(active) if active else None

    def on_watermark(self, channel: int, watermark: int) -> int | None:
        """A channel's watermark; returns the new combined watermark when it advanced."""
        state = self.channels[channel]
        state[1] = False
        if watermark > state[0]:
            state[0] = watermark
        return self._advance()

    def _advance(self) -> int | None:
        combined = self._combined()
        if combined is not None and combined > self.current:
            self.current = combined
            return combined
        return None

    def on_idle(self, channel: int, idle: bool) -> tuple[int | None, bool | None]:
        """A channel became idle/active; returns (advanced watermark, changed idleness of the whole input).

        When the last active channel goes idle, no channel will advance any more, so the watermark flushes
        to the highest one of any channel (Flink's StatusWatermarkValve): otherwise the order in which the
        channels went idle would decide whether a channel's watermark ever reaches downstream."""
        self.channels[channel][1] = idle
        now_idle = all(state[1] for state in self.channels.values())
        changed = None
        if now_idle != self.idle:
            self.idle = now_idle
            changed = now_idle
        if now_idle:
            return self._flush(), changed
        return self._advance(), changed

    def _flush(self) -> int | None:
        highest = max((wm for wm, _ in self.channels.values()), default=MIN_WATERMARK)
        if highest > self.current:
            self.current = highest
            return highest
        return None


class WatermarkEmitter:
    """Assigns timestamps and runs a generator for one subtask; cuts a batch where a punctuated watermark
    was emitted so records and watermarks keep their order."""

    def __init__(self, strategy: WatermarkStrategy, clock_ms: Callable[[], float], interval_ms: int) -> None:
        self.generator = strategy.create_watermark_generator()
        self.extract = None if strategy.timestamp_assigner is None else _callable(strategy.timestamp_assigner)
        self.idle_timeout_ms = strategy.idle_timeout_ms
        self.clock_ms = clock_ms
        self.interval_ms = interval_ms
        self.output = WatermarkOutput()
        self.current = MIN_WATERMARK
        self.idle = False
        now = clock_ms()
        self.last_periodic = now
        self.last_record = now

    def restore(self, watermark: int) -> None:
        """Start from a checkpointed watermark (never emit a lower one)."""
        self.current = max(self.current, watermark)
        self.output.watermark = max(self.output.watermark, watermark)

    def process(
        self,
        batch: list[Any],
        timestamps: list[Any] | None,
        emit: Callable[[list[Any], list[Any]], None],
        emit_watermark: Callable[[int], None],
        emit_idle: Callable[[bool], None],
    ) -> None:
        """Stamp ``batch``, emit it (split at punctuated watermarks), then maybe a periodic watermark."""
        if batch:
            self.last_record = self.clock_ms()
            if self.idle:
                self.idle = False
                emit_idle(False)
            extract = self.extract
            on_event = self.generator.on_event
            output = self.output
            out_ts: list[Any] = []
            start = 0
            for index, value in enumerate(batch):
                previous = timestamps[index] if timestamps is not None else None
                stamp = (
                    extract(value, MIN_WATERMARK if previous is None else previous) if extract else previous
                )
                if stamp is None:
                    stamp = MIN_WATERMARK
                out_ts.append(stamp)
                on_event(value, stamp, output)
                if output.watermark > self.current:
                    emit(batch[start : index + 1], out_ts[start : index + 1])
                    start = index + 1
                    self.current = output.watermark
                    emit_watermark(self.current)
            if start < len(batch):
                emit(batch[start:], out_ts[start:])
        self.periodic(emit_watermark, emit_idle)

    def periodic(self, emit_watermark: Callable[[int], None], emit_idle: Callable[[bool], None]) -> None:
        """Run ``on_periodic_emit`` when the auto-watermark interval elapsed; detect idleness."""
        now = self.clock_ms()
        if self.interval_ms <= 0 or now - self.last_periodic < self.interval_ms:
            return  # an interval of 0 disables periodic watermarks, as in Flink
        self.last_periodic = now
        self.generator.on_periodic_emit(self.output)
        if self.output.watermark > self.current:
            self.current = self.output.watermark
            emit_watermark(self.current)
        timeout = self.idle_timeout_ms
        if timeout is not None and not self.idle and now - self.last_record >= timeout:
            self.idle = True
            emit_idle(True)
