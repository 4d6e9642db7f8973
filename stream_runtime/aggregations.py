"""PyFlink's built-in keyed aggregations (``sum``/``min``/``max``/``min_by``/``max_by``) and ``project``.

The rules follow PyFlink 2.3's ``KeyedStream._accumulate``: a field is chosen by position or, on a named Row,
by name; ``min``/``max``/``sum`` replace that field of the first record seen for the key (the other fields
keep the first record's values); ``min_by``/``max_by`` keep the whole record holding the smallest or largest
value, the earlier record on ties; a basic value (not a tuple, list or Row) is its own field 0.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from stream_runtime.typeinfo import Row


class AccumulateType(Enum):
    """The built-in aggregations of a KeyedStream (PyFlink's ``KeyedStream.AccumulateType``)."""

    MIN = 1
    MAX = 2
    MIN_BY = 3
    MAX_BY = 4
    SUM = 5


def _with_field(record: Any, position: int | str, value: Any) -> Any:
    """A copy of ``record`` whose field ``position`` is ``value`` (a Row keeps its field names)."""
    if isinstance(record, dict):
        return {**record, position: value}
    items = list(record)
    index = record.index_of(position) if isinstance(record, Row) else position
    items[index] = value  # type: ignore[index]
    if isinstance(record, Row):
        return record.with_values(items)
    return items if isinstance(record, list) else tuple(items)


def _structured(record: Any) -> bool:
    return isinstance(record, (tuple, list, dict))


def accumulator(position: int | str, kind: AccumulateType) -> Callable[[Any, Any], Any]:
    """The reduce function of one built-in aggregation over field ``position``."""
    if not isinstance(position, (int, str)):
        raise TypeError(
            "The field position must be of int or str type to locate the value to calculate for min, max, "
            f"min_by, max_by and sum.The given type is: {type(position)}"
        )

    def reduce(first: Any, second: Any) -> Any:
        if not _structured(second):
            if kind in (AccumulateType.MIN_BY, AccumulateType.MAX_BY):
                return _pick_record(kind, first, second, first, second)
            if position != 0:
                raise TypeError(
                    f"The {position} field selected on a basic type. A field expression on a basic type can "
                    "only select the 0th field (which means selecting the entire basic type)."
                )
            return _combine(kind, first, second)
        old, new = first[position], second[position]
        if kind in (AccumulateType.MIN_BY, AccumulateType.MAX_BY):
            return _pick_record(kind, first, second, old, new)
        return _with_field(first, position, _combine(kind, old, new))

    return reduce


def _pick_record(kind: AccumulateType, first: Any, second: Any, old: Any, new: Any) -> Any:
    if kind is AccumulateType.MIN_BY:
        return second if new < old else first
    return second if new > old else first


def _combine(kind: AccumulateType, old: Any, new: Any) -> Any:
    if kind is AccumulateType.SUM:
        return old + new
    if kind is AccumulateType.MIN:
        return new if new < old else old
    return new if new > old else old


def projector(field_indexes: tuple[int, ...], arity: int) -> Callable[[Any], tuple[Any, ...]]:
    """A map of tuples to the tuple of their fields at ``field_indexes`` (in that order)."""
    if not field_indexes:
        raise ValueError("project needs at least one field index")
    for index in field_indexes:
        if not isinstance(index, int) or not 0 <= index < arity:
            raise IndexError(f"project: field index {index!r} is out of range for a tuple of {arity} fields")

    def project(record: Any) -> tuple[Any, ...]:
        return tuple(record[i] for i in field_indexes)

    return project
