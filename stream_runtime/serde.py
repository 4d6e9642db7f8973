"""Value encoding for checkpoints: msgpack for plain values, pickle only as a fallback for user objects."""

from __future__ import annotations

import pickle
import threading
from typing import Any

import msgpack

_EXT_TUPLE = 1
_EXT_PICKLE = 2


def _default(obj: Any) -> msgpack.ExtType:
    if type(obj) is tuple:
        # a fresh packer: the thread's shared one is busy with the enclosing value
        return msgpack.ExtType(_EXT_TUPLE, msgpack.packb(list(obj), default=_default, strict_types=True))
    return msgpack.ExtType(_EXT_PICKLE, pickle.dumps(obj, protocol=5))


def _ext_hook(code: int, data: bytes) -> Any:
    if code == _EXT_TUPLE:
        return tuple(loads(data))
    if code == _EXT_PICKLE:
        return pickle.loads(data)
    return msgpack.ExtType(code, data)


_local = threading.local()


def dumps(value: Any) -> bytes:
    """Encode a value; tuples survive the round trip (so they stay usable as keys)."""
    packer = getattr(_local, "packer", None)
    if packer is None:
        packer = _local.packer = msgpack.Packer(default=_default, strict_types=True, use_bin_type=True)
    return packer.pack(value)


def loads(data: bytes) -> Any:
    """Decode bytes produced by :func:`dumps`."""
    return msgpack.unpackb(data, ext_hook=_ext_hook, raw=False, strict_map_key=False)


def loads_stream(data: bytes) -> list[Any]:
    """Decode a concatenation of :func:`dumps` outputs."""
    unpacker = msgpack.Unpacker(ext_hook=_ext_hook, raw=False, strict_map_key=False, max_buffer_size=0)
    unpacker.feed(data)
    return list(unpacker)


def canonical_key_bytes(key: Any) -> bytes:
    """Bytes that identify a key the same way in every process (never Python's salted ``hash()``)."""
    return dumps(key)
