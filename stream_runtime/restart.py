"""Restart strategies with Flink's parameters and defaults; pure functions of an injected clock."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass, field
from typing import Any


class RestartStrategy(ABC):
    """Decides, after each failure, whether to restart and after which delay (seconds)."""

    @abstractmethod
    def next_delay(self, now: float, running_since: float) -> float | None:
        """Called once per failure at time ``now``; returns the delay or ``None`` for "fail the job"."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """A JSON description that :func:`restart_strategy_from_dict` turns back into a strategy."""


@dataclass
class NoRestartStrategy(RestartStrategy):
    """Fail the job on the first failure."""

    def next_delay(self, now: float, running_since: float) -> float | None:
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"type": "none"}


@dataclass
class FixedDelayRestartStrategy(RestartStrategy):
    """Restart at most ``restart_attempts`` times, waiting ``delay_s`` each time."""

    restart_attempts: int
    delay_s: float
    _attempts: int = field(default=0, repr=False)

    def next_delay(self, now: float, running_since: float) -> float | None:
        if self._attempts >= self.restart_attempts:
            return None
        self._attempts += 1
        return self.delay_s

    def to_dict(self) -> dict[str, Any]:
        return {"type": "fixed-delay", "attempts": self.restart_attempts, "delay_s": self.delay_s}


@dataclass
class FailureRateRestartStrategy(RestartStrategy):
    """Fail the job when more than ``max_failures_per_interval`` failures fall within ``interval_s``."""

    max_failures_per_interval: int
    interval_s: float
    delay_s: float
    _failures: deque[float] = field(default_factory=deque, repr=False)

    def next_delay(self, now: float, running_since: float) -> float | None:
        self._failures.append(now)
        while self._failures and now - self._failures[0] > self.interval_s:
            self._failures.popleft()
        if len(self._failures) > self.max_failures_per_interval:
            return None
        return self.delay_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "failure-rate",
            "max_failures_per_interval": self.max_failures_per_interval,
            "interval_s": self.interval_s,
            "delay_s": self.delay_s,
        }


@dataclass
class ExponentialDelayRestartStrategy(RestartStrategy):
    """Backoff growing by ``multiplier`` up to ``max_backoff_s``, reset after a stable run (Flink 1.19+)."""

    initial_backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    backoff_multiplier: float = 1.5
    reset_backoff_threshold_s: float = 3600.0
    jitter_factor: float = 0.1
    attempts_before_reset_backoff: int | None = None
    seed: int | None = None
    _current: float = field(default=0.0, repr=False)
    _attempts: int = field(default=0, repr=False)
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        if self.seed is not None:
            self._rng = random.Random(self.seed)

    def next_delay(self, now: float, running_since: float) -> float | None:
        if self._current and now - running_since >= self.reset_backoff_threshold_s:
            self._current = 0.0
            self._attempts = 0
        if (
            self.attempts_before_reset_backoff is not None
            and self._attempts >= self.attempts_before_reset_backoff
        ):
            return None
        self._attempts += 1
        if not self._current:
            self._current = self.initial_backoff_s
        else:
            self._current = min(self._current * self.backoff_multiplier, self.max_backoff_s)
        jitter = self._current * self.jitter_factor
        delay = self._current + (self._rng.uniform(-jitter, jitter) if jitter else 0.0)
        return max(0.0, min(delay, self.max_backoff_s))

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "exponential-delay",
            "initial_backoff_s": self.initial_backoff_s,
            "max_backoff_s": self.max_backoff_s,
            "backoff_multiplier": self.backoff_multiplier,
            "reset_backoff_threshold_s": self.reset_backoff_threshold_s,
            "jitter_factor": self.jitter_factor,
            "attempts_before_reset_backoff": self.attempts_before_reset_backoff,
        }


class RestartStrategies:
    """Factory methods named as in Flink's ``RestartStrategies``."""

    @staticmethod
    def no_restart() -> RestartStrategy:
        """Never restart."""
        return NoRestartStrategy()

    @staticmethod
    def fixed_delay_restart(restart_attempts: int, delay_between_attempts_ms: int) -> RestartStrategy:
        """Fixed number of attempts with a fixed delay."""
        return FixedDelayRestartStrategy(restart_attempts, delay_between_attempts_ms / 1000)

    @staticmethod
    def failure_rate_restart(
        failure_rate: int, failure_interval_ms: int, delay_interval_ms: int
    ) -> RestartStrategy:
        """At most ``failure_rate`` failures per interval."""
        return FailureRateRestartStrategy(failure_rate, failure_interval_ms / 1000, delay_interval_ms / 1000)

    @staticmethod
    def exponential_delay_restart(
        initial_backoff_ms: int = 1000,
        max_backoff_ms: int = 60_000,
        backoff_multiplier: float = 1.5,
        reset_backoff_threshold_ms: int = 3_600_000,
        jitter_factor: float = 0.1,
    ) -> RestartStrategy:
        """Exponentially growing delay between attempts."""
        return ExponentialDelayRestartStrategy(
            initial_backoff_ms / 1000,
            max_backoff_ms / 1000,
            backoff_multiplier,
            reset_backoff_threshold_ms / 1000,
            jitter_factor,
        )


def default_restart_strategy(checkpointing_enabled: bool) -> RestartStrategy:
    """Flink 1.19+ default: none without checkpointing, exponential-delay with it."""
    return ExponentialDelayRestartStrategy() if checkpointing_enabled else NoRestartStrategy()


def restart_strategy_from_dict(doc: dict[str, Any]) -> RestartStrategy:
    """Inverse of :meth:`RestartStrategy.to_dict`."""
    kind = doc.get("type")
    if kind == "none":
        return NoRestartStrategy()
    if kind == "fixed-delay":
        return FixedDelayRestartStrategy(int(doc["attempts"]), float(doc["delay_s"]))
    if kind == "failure-rate":
        return FailureRateRestartStrategy(
            int(doc["max_failures_per_interval"]), float(doc["interval_s"]), float(doc["delay_s"])
        )
    if kind == "exponential-delay":
        return ExponentialDelayRestartStrategy(
            float(doc["initial_backoff_s"]),
            float(doc["max_backoff_s"]),
            float(doc["backoff_multiplier"]),
            float(doc["reset_backoff_threshold_s"]),
            float(doc["jitter_factor"]),
            doc.get("attempts_before_reset_backoff"),
        )
    raise ValueError(f"unknown restart strategy {kind!r}")
