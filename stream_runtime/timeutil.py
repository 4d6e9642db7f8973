"""Durations as PyFlink spells them (``Duration``, ``Time``) and their conversion to milliseconds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any


class Duration:
    """A length of time (PyFlink's ``pyflink.common.Duration``), stored in milliseconds."""

    def __init__(self, milliseconds: int) -> None:
        self._ms = int(milliseconds)

    @staticmethod
    def of_millis(millis: int) -> Duration:
        """``millis`` milliseconds."""
        return Duration(millis)

    @staticmethod
    def of_seconds(seconds: int) -> Duration:
        """``seconds`` seconds."""
        return Duration(seconds * 1000)

    @staticmethod
    def of_minutes(minutes: int) -> Duration:
        """``minutes`` minutes."""
        return Duration(minutes * 60_000)

    @staticmethod
    def of_hours(hours: int) -> Duration:
        """``hours`` hours."""
        return Duration(hours * 3_600_000)

    @staticmethod
    def of_days(days: int) -> Duration:
        """``days`` days."""
        return Duration(days * 86_400_000)

    @staticmethod
    def of_nanos(nanos: int) -> Duration:
        """``nanos`` nanoseconds (rounded down to milliseconds)."""
        return Duration(nanos // 1_000_000)

    @staticmethod
    def zero() -> Duration:
        """No time at all."""
        return Duration(0)

    def to_milliseconds(self) -> int:
        """Length in milliseconds."""
        return self._ms

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Duration) and other._ms == self._ms

    def __hash__(self) -> int:
        return hash(self._ms)

    def __repr__(self) -> str:
        return f"Duration({self._ms} ms)"


class Time(Duration):
    """PyFlink's older ``Time`` (``Time.seconds(5)``), interchangeable with :class:`Duration`."""

    @staticmethod
    def milliseconds(milliseconds: int) -> Time:
        """``milliseconds`` ms."""
        return Time(milliseconds)

    @staticmethod
    def seconds(seconds: int) -> Time:
        """``seconds`` s."""
        return Time(seconds * 1000)

    @staticmethod
    def minutes(minutes: int) -> Time:
        """``minutes`` min."""
        return Time(minutes * 60_000)

    @staticmethod
    def hours(hours: int) -> Time:
        """``hours`` h."""
        return Time(hours * 3_600_000)

    @staticmethod
    def days(days: int) -> Time:
        """``days`` days."""
        return Time(days * 86_400_000)


def to_millis(value: Any) -> int:
    """Milliseconds of a ``Duration``/``Time``, a ``timedelta`` or a plain number of milliseconds."""
    if isinstance(value, Duration):
        return value.to_milliseconds()
    if isinstance(value, timedelta):
        return int(value.total_seconds() * 1000)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if hasattr(value, "to_milliseconds"):
        return int(value.to_milliseconds())
    raise TypeError(f"expected a Duration, Time, timedelta or milliseconds, got {type(value).__name__}")
