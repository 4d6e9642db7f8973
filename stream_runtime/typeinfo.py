"""Type information (PyFlink's ``Types``/``TypeInformation``/``Row``): declared output types are checked on
every record an operator emits, so a wrong type fails at the operator that produced it, as in PyFlink."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable, Sequence
from typing import Any


class Row(tuple):
    """A row: positional values, optionally named (``Row(name="a", count=1)`` or ``Row("a", 1)``)."""

    _fields: tuple[str, ...] | None

    def __new__(cls, *values: Any, **named: Any) -> Row:
        if values and named:
            raise ValueError("Row takes either positional or named values, not both")
        row = super().__new__(cls, values or tuple(named.values()))
        row._fields = tuple(named) if named else None
        return row

    def __getattr__(self, name: str) -> Any:
        fields = self.__dict__.get("_fields")
        if fields and name in fields:
            return self[fields.index(name)]
        raise AttributeError(name)

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, str):
            return tuple.__getitem__(self, self.index_of(item))
        return tuple.__getitem__(self, item)

    def index_of(self, field: int | str) -> int:
        """Position of a field given by position or by name."""
        if isinstance(field, int):
            return field
        fields = self.__dict__.get("_fields")
        if not fields or field not in fields:
            raise KeyError(f"Row has no field named {field!r}")
        return fields.index(field)

    def with_values(self, values: Sequence[Any]) -> Row:
        """A Row with the same field names holding ``values``."""
        if self._fields:
            return _named_row(self._fields, tuple(values))
        return Row(*values)

    def as_dict(self, recursive: bool = False) -> dict[str, Any]:
        """Named values as a dict."""
        if not self._fields:
            raise TypeError("Cannot convert a Row without field names to a dict")
        return dict(zip(self._fields, self, strict=True))

    def get_fields_by_names(self, names: Sequence[str]) -> list[Any]:
        """Values of the named fields."""
        return [getattr(self, name) for name in names]

    def __reduce__(self) -> Any:
        if self._fields:
            return (_named_row, (self._fields, tuple(self)))
        return (Row, tuple(self))

    def __repr__(self) -> str:
        if self._fields:
            return "Row(" + ", ".join(f"{k}={v!r}" for k, v in zip(self._fields, self, strict=True)) + ")"
        return "Row(" + ", ".join(repr(v) for v in self) + ")"


def _named_row(fields: tuple[str, ...], values: tuple[Any, ...]) -> Row:
    return Row(**dict(zip(fields, values, strict=True)))


class TypeInformation:
    """A declared type: its name and a check of values."""

    def __init__(
        self, name: str, check: Callable[[Any], bool], convert: Callable[[Any], Any] | None = None
    ) -> None:
        self.name = name
        self._check = check
        self.convert = convert  # how a produced value becomes this type's Python value (tuple -> Row)

    def check(self, value: Any) -> bool:
        """Whether ``value`` is of this type (``None`` is accepted as a null value)."""
        return value is None or self._check(value)

    def __repr__(self) -> str:
        return self.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TypeInformation) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


class TupleTypeInfo(TypeInformation):
    """A tuple type: its field types (what ``project`` selects from)."""

    def __init__(self, field_types: Sequence[TypeInformation]) -> None:
        self.field_types = list(field_types)
        super().__init__(f"TUPLE<{', '.join(map(str, self.field_types))}>", _fields(self.field_types))

    def get_field_types(self) -> list[TypeInformation]:
        """The field types, in order."""
        return list(self.field_types)

    def get_arity(self) -> int:
        """Number of fields."""
        return len(self.field_types)


def _to_row(names: Sequence[str]) -> Callable[[Any], Any]:
    """Values of a ROW type as PyFlink hands them to functions: Rows carrying the type's field names."""
    fields = tuple(names)

    def convert(value: Any) -> Any:
        if value is None or (isinstance(value, Row) and value.__dict__.get("_fields") == fields):
            return value
        return _named_row(fields, tuple(value))

    return convert


def _int_range(bits: int) -> Callable[[Any], bool]:
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _sequence(element: TypeInformation) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, (list, tuple)) and all(element.check(x) for x in v)


def _fields(types: Sequence[TypeInformation]) -> Callable[[Any], bool]:
    return lambda v: (
        isinstance(v, (tuple, list))
        and len(v) == len(types)
        and all(t.check(x) for t, x in zip(types, v, strict=True))
    )


class Types:
    """Factory of type information with PyFlink's names."""

    @staticmethod
    def STRING() -> TypeInformation:
        """str."""
        return TypeInformation("STRING", lambda v: isinstance(v, str))

    @staticmethod
    def BOOLEAN() -> TypeInformation:
        """bool."""
        return TypeInformation("BOOLEAN", lambda v: isinstance(v, bool))

    @staticmethod
    def BYTE() -> TypeInformation:
        """8-bit int."""
        return TypeInformation("BYTE", _int_range(8))

    @staticmethod
    def SHORT() -> TypeInformation:
        """16-bit int."""
        return TypeInformation("SHORT", _int_range(16))

    @staticmethod
    def INT() -> TypeInformation:
        """32-bit int."""
        return TypeInformation("INT", _int_range(32))

    @staticmethod
    def LONG() -> TypeInformation:
        """64-bit int."""
        return TypeInformation("LONG", _int_range(64))

    @staticmethod
    def BIG_INT() -> TypeInformation:
        """Arbitrary int."""
        return TypeInformation("BIG_INT", lambda v: isinstance(v, int) and not isinstance(v, bool))

    @staticmethod
    def FLOAT() -> TypeInformation:
        """float (ints accepted)."""
        return TypeInformation("FLOAT", _number)

    @staticmethod
    def DOUBLE() -> TypeInformation:
        """float (ints accepted)."""
        return TypeInformation("DOUBLE", _number)

    @staticmethod
    def BIG_DEC() -> TypeInformation:
        """decimal.Decimal."""
        return TypeInformation("BIG_DEC", lambda v: isinstance(v, decimal.Decimal))

    @staticmethod
    def CHAR() -> TypeInformation:
        """One-character str."""
        return TypeInformation("CHAR", lambda v: isinstance(v, str) and len(v) == 1)

    @staticmethod
    def PICKLED_BYTE_ARRAY() -> TypeInformation:
        """Any picklable Python object."""
        return TypeInformation("PICKLED_BYTE_ARRAY", lambda v: True)

    @staticmethod
    def PRIMITIVE_ARRAY(element_type: TypeInformation) -> TypeInformation:
        """List of primitives (bytes for BYTE)."""
        if element_type.name == "BYTE":
            return TypeInformation("PRIMITIVE_ARRAY<BYTE>", lambda v: isinstance(v, (bytes, bytearray)))
        return TypeInformation(f"PRIMITIVE_ARRAY<{element_type}>", _sequence(element_type))

    @staticmethod
    def BASIC_ARRAY(element_type: TypeInformation) -> TypeInformation:
        """List of basic values."""
        return TypeInformation(f"BASIC_ARRAY<{element_type}>", _sequence(element_type))

    @staticmethod
    def OBJECT_ARRAY(element_type: TypeInformation) -> TypeInformation:
        """List of values."""
        return TypeInformation(f"OBJECT_ARRAY<{element_type}>", _sequence(element_type))

    @staticmethod
    def LIST(element_type: TypeInformation) -> TypeInformation:
        """List of values."""
        return TypeInformation(f"LIST<{element_type}>", _sequence(element_type))

    @staticmethod
    def MAP(key_type: TypeInformation, value_type: TypeInformation) -> TypeInformation:
        """dict."""
        return TypeInformation(
            f"MAP<{key_type}, {value_type}>",
            lambda v: (
                isinstance(v, dict) and all(key_type.check(k) and value_type.check(x) for k, x in v.items())
            ),
        )

    @staticmethod
    def TUPLE(field_types: Sequence[TypeInformation]) -> TypeInformation:
        """Tuple of the given field types."""
        return TupleTypeInfo(field_types)

    @staticmethod
    def ROW(field_types: Sequence[TypeInformation]) -> TypeInformation:
        """Row of the given field types; tuples become Rows with PyFlink's field names f0, f1, …"""
        names = [f"f{i}" for i in range(len(field_types))]
        return TypeInformation(
            f"ROW<{', '.join(map(str, field_types))}>", _fields(list(field_types)), _to_row(names)
        )

    @staticmethod
    def ROW_NAMED(field_names: Sequence[str], field_types: Sequence[TypeInformation]) -> TypeInformation:
        """Row with named fields; tuples become Rows with those names."""
        inner = ", ".join(f"{n}: {t}" for n, t in zip(field_names, field_types, strict=True))
        return TypeInformation(f"ROW<{inner}>", _fields(list(field_types)), _to_row(list(field_names)))

    @staticmethod
    def SQL_DATE() -> TypeInformation:
        """datetime.date."""
        return TypeInformation("SQL_DATE", lambda v: isinstance(v, datetime.date))

    @staticmethod
    def SQL_TIME() -> TypeInformation:
        """datetime.time."""
        return TypeInformation("SQL_TIME", lambda v: isinstance(v, datetime.time))

    @staticmethod
    def SQL_TIMESTAMP() -> TypeInformation:
        """datetime.datetime."""
        return TypeInformation("SQL_TIMESTAMP", lambda v: isinstance(v, datetime.datetime))

    LOCAL_DATE = SQL_DATE
    LOCAL_TIME = SQL_TIME
    LOCAL_DATE_TIME = SQL_TIMESTAMP

    @staticmethod
    def INSTANT() -> TypeInformation:
        """datetime.datetime."""
        return TypeInformation("INSTANT", lambda v: isinstance(v, datetime.datetime))

    @staticmethod
    def VOID() -> TypeInformation:
        """Only ``None``."""
        return TypeInformation("VOID", lambda v: False)


def checking_emitter(
    emit: Callable[[list[Any], list[Any] | None], None],
    type_info: TypeInformation,
    operator: str,
    source: bool = False,
) -> Callable[[list[Any], list[Any] | None], None]:
    """Wrap an operator's emit so every value is checked against its declared ``output_type``. A source's
    values of a ROW type are handed on as Rows with the type's field names, as PyFlink's sources (which
    always come from Java) hand them to Python functions; between Python operators PyFlink passes chained
    values as they are, so other operators' values are not converted."""
    check, convert = type_info.check, type_info.convert if source else None

    def checked(batch: list[Any], ts: list[Any] | None = None) -> None:
        for value in batch:
            if not check(value):
                raise TypeError(
                    f"Operator {operator!r} declared output_type={type_info} but produced "
                    f"{value!r} ({type(value).__name__})"
                )
        emit(batch if convert is None else [convert(value) for value in batch], ts)

    return checked
