"""User-facing state: descriptors and ValueState/ListState/MapState/ReducingState/AggregatingState."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")


class Aggregator(Protocol):
    """What an :class:`AggregatingState` calls: the accumulator methods of Flink's ``AggregateFunction``."""

    def create_accumulator(self) -> Any:
        """A new, empty accumulator."""

    def add(self, value: Any, accumulator: Any) -> Any:
        """Add a value and return the accumulator."""

    def get_result(self, accumulator: Any) -> Any:
        """The aggregate of an accumulator."""


class StateDescriptor:
    """Names a piece of state; the type hint is informational (values are encoded with msgpack/pickle)."""

    kind = "value"

    def __init__(self, name: str, type_info: Any = None) -> None:
        self.name = name
        self.type_info = type_info
        self.ttl_config: Any = None

    def get_name(self) -> str:
        """The state's name."""
        return self.name

    def enable_time_to_live(self, ttl_config: Any) -> None:
        """Let entries expire as ``ttl_config`` (a StateTtlConfig) says."""
        self.ttl_config = ttl_config if ttl_config.is_enabled() else None


class ValueStateDescriptor(StateDescriptor):
    """Describes a :class:`ValueState`."""

    kind = "value"


class ListStateDescriptor(StateDescriptor):
    """Describes a :class:`ListState` (keyed, or operator state when used with a state store)."""

    kind = "list"


class MapStateDescriptor(StateDescriptor):
    """Describes a :class:`MapState`."""

    kind = "map"

    def __init__(self, name: str, key_type_info: Any = None, value_type_info: Any = None) -> None:
        super().__init__(name, (key_type_info, value_type_info))


class ReducingStateDescriptor(StateDescriptor):
    """Describes a :class:`ReducingState` with its reduce function."""

    kind = "reducing"

    def __init__(self, name: str, reduce_function: Any, type_info: Any = None) -> None:
        super().__init__(name, type_info)
        self.reduce_function: Callable[[Any, Any], Any] = getattr(reduce_function, "reduce", reduce_function)


class AggregatingStateDescriptor(StateDescriptor):
    """Describes an :class:`AggregatingState` with its aggregate function."""

    kind = "aggregating"

    def __init__(self, name: str, agg_function: Aggregator, type_info: Any = None) -> None:
        super().__init__(name, type_info)
        self.agg_function = agg_function


class KeyContext:
    """Holds the key the keyed state handles currently refer to."""

    __slots__ = ("current_key",)

    def __init__(self) -> None:
        self.current_key: Any = None


class _KeyedState:
    __slots__ = ("_ctx", "_table")

    def __init__(self, ctx: KeyContext, table: dict[Any, Any]) -> None:
        self._ctx = ctx
        self._table = table

    def clear(self) -> None:
        """Remove the value for the current key."""
        self._table.pop(self._ctx.current_key, None)


class ValueState(_KeyedState, Generic[T]):
    """One value per key."""

    __slots__ = ()

    def value(self) -> T | None:
        """The current key's value, or ``None``."""
        return self._table.get(self._ctx.current_key)

    def update(self, value: T) -> None:
        """Replace the current key's value."""
        self._table[self._ctx.current_key] = value


class ListState(_KeyedState, Generic[T]):
    """A list of values per key."""

    __slots__ = ()

    def get(self) -> Iterable[T]:
        """The current key's elements (empty when unset)."""
        return list(self._table.get(self._ctx.current_key, ()))

    def add(self, value: T) -> None:
        """Append one element."""
        self._table.setdefault(self._ctx.current_key, []).append(value)

    def add_all(self, values: Iterable[T]) -> None:
        """Append several elements."""
        self._table.setdefault(self._ctx.current_key, []).extend(values)

    def update(self, values: Iterable[T]) -> None:
        """Replace all elements."""
        self._table[self._ctx.current_key] = list(values)


class MapState(_KeyedState):
    """A map per key."""

    __slots__ = ()

    def _map(self) -> dict[Any, Any]:
        return self._table.setdefault(self._ctx.current_key, {})

    def get(self, key: Any) -> Any:
        """Value under ``key`` or ``None``."""
        return self._table.get(self._ctx.current_key, {}).get(key)

    def put(self, key: Any, value: Any) -> None:
        """Set ``key``."""
        self._map()[key] = value

    def put_all(self, entries: dict[Any, Any]) -> None:
        """Set several entries."""
        self._map().update(entries)

    def remove(self, key: Any) -> None:
        """Delete ``key`` if present."""
        self._table.get(self._ctx.current_key, {}).pop(key, None)

    def contains(self, key: Any) -> bool:
        """Whether ``key`` is present."""
        return key in self._table.get(self._ctx.current_key, {})

    def items(self) -> Iterator[tuple[Any, Any]]:
        """Entries of the current key's map."""
        return iter(list(self._table.get(self._ctx.current_key, {}).items()))

    def keys(self) -> Iterator[Any]:
        """Keys of the current key's map."""
        return iter(list(self._table.get(self._ctx.current_key, {})))

    def values(self) -> Iterator[Any]:
        """Values of the current key's map."""
        return iter(list(self._table.get(self._ctx.current_key, {}).values()))

    def is_empty(self) -> bool:
        """Whether the current key's map is empty."""
        return not self._table.get(self._ctx.current_key)


class ReducingState(_KeyedState):
    """A value per key folded with a reduce function."""

    __slots__ = ("_reduce",)

    def __init__(self, ctx: KeyContext, table: dict[Any, Any], reduce: Callable[[Any, Any], Any]) -> None:
        super().__init__(ctx, table)
        self._reduce = reduce

    def get(self) -> Any:
        """The reduced value or ``None``."""
        return self._table.get(self._ctx.current_key)

    def add(self, value: Any) -> None:
        """Fold ``value`` into the state."""
        key = self._ctx.current_key
        current = self._table.get(key)
        self._table[key] = value if current is None else self._reduce(current, value)


class AggregatingState(_KeyedState):
    """An accumulator per key driven by an AggregateFunction."""

    __slots__ = ("_agg",)

    def __init__(self, ctx: KeyContext, table: dict[Any, Any], agg: Aggregator) -> None:
        super().__init__(ctx, table)
        self._agg = agg

    def get(self) -> Any:
        """The aggregate's result, or ``None`` when nothing was added."""
        key = self._ctx.current_key
        if key not in self._table:
            return None
        return self._agg.get_result(self._table[key])

    def add(self, value: Any) -> None:
        """Add ``value`` to the accumulator."""
        key = self._ctx.current_key
        acc = self._table.get(key)
        if acc is None:
            acc = self._agg.create_accumulator()
        self._table[key] = self._agg.add(value, acc)
