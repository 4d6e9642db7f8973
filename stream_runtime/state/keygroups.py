"""Key-group assignment, following Flink's KeyGroupRangeAssignment formulas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mmh3

from stream_runtime.serde import canonical_key_bytes

UPPER_BOUND_MAX_PARALLELISM = 1 << 15
DEFAULT_LOWER_BOUND_MAX_PARALLELISM = 1 << 7


def _round_up_to_power_of_two(x: int) -> int:
    return 1 if x <= 1 else 1 << (x - 1).bit_length()


def compute_default_max_parallelism(parallelism: int) -> int:
    """Flink's default: roundUpToPowerOfTwo(p + p/2) bounded to [128, 32768]."""
    value = _round_up_to_power_of_two(parallelism + parallelism // 2)
    return min(max(value, DEFAULT_LOWER_BOUND_MAX_PARALLELISM), UPPER_BOUND_MAX_PARALLELISM)


def check_parallelism(parallelism: int, max_parallelism: int) -> None:
    """Reject combinations Flink rejects: 0 < p <= maxP <= 2^15."""
    if not 0 < max_parallelism <= UPPER_BOUND_MAX_PARALLELISM:
        raise ValueError(f"max parallelism {max_parallelism} is outside (0, {UPPER_BOUND_MAX_PARALLELISM}]")
    if not 0 < parallelism <= max_parallelism:
        raise ValueError(f"parallelism {parallelism} must be in (0, max parallelism {max_parallelism}]")


def assign_to_key_group(key: Any, max_parallelism: int) -> int:
    """Key group of a key: murmur3 of its canonical bytes modulo max parallelism."""
    return mmh3.hash(canonical_key_bytes(key), signed=False) % max_parallelism


def operator_index_for_key_group(max_parallelism: int, parallelism: int, key_group: int) -> int:
    """Subtask owning a key group."""
    return key_group * parallelism // max_parallelism


@dataclass(frozen=True)
class KeyGroupRange:
    """An inclusive range of key groups owned by one subtask."""

    start: int
    end: int

    def __contains__(self, key_group: object) -> bool:
        return isinstance(key_group, int) and self.start <= key_group <= self.end

    @classmethod
    def for_subtask(cls, max_parallelism: int, parallelism: int, index: int) -> KeyGroupRange:
        """Flink's range formula: start=ceil(i*maxP/p), end=floor(((i+1)*maxP-1)/p)."""
        start = (index * max_parallelism + parallelism - 1) // parallelism
        end = ((index + 1) * max_parallelism - 1) // parallelism
        return cls(start, end)


class KeyGroupAssigner:
    """Memoised key → (key group, subtask) lookup used on the hot path."""

    _MEMO_LIMIT = 2_000_000

    def __init__(self, max_parallelism: int, parallelism: int) -> None:
        check_parallelism(parallelism, max_parallelism)
        self.max_parallelism = max_parallelism
        self.parallelism = parallelism
        self._memo: dict[Any, int] = {}

    def key_group(self, key: Any) -> int:
        """Key group of ``key`` (memoised)."""
        kg = self._memo.get(key)
        if kg is None:
            if len(self._memo) >= self._MEMO_LIMIT:
                self._memo = {}
            kg = assign_to_key_group(key, self.max_parallelism)
            self._memo[key] = kg
        return kg

    def subtask(self, key_group: int) -> int:
        """Subtask that owns ``key_group``."""
        return key_group * self.parallelism // self.max_parallelism
