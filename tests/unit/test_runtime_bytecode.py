"""The supervising process byte-compiles the runtime, so that job processes never compile it themselves."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import stream_runtime.engine.coordinator as module
from stream_runtime.process import bytecode


def test_the_runtime_is_byte_compiled_even_where_imports_write_no_bytecode() -> None:
    source = Path(module.__file__)
    cached = Path(importlib.util.cache_from_source(str(source)))
    cached.unlink(missing_ok=True)

    bytecode.precompile_runtime.__wrapped__().join(120)  # a fresh run (the cached one may have run already)

    assert cached.is_file()
    header = cached.read_bytes()[:16]
    assert header[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(header[8:12], "little") == int(source.stat().st_mtime) & 0xFFFFFFFF
    assert int.from_bytes(header[12:16], "little") == source.stat().st_size
