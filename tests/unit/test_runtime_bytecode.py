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

    # a fresh run (the cached one may have run already)
    bytecode.precompile.__wrapped__(bytecode.RUNTIME_PACKAGE).join(120)

    assert cached.is_file()
    header = cached.read_bytes()[:16]
    assert header[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(header[8:12], "little") == int(source.stat().st_mtime) & 0xFFFFFFFF
    assert int.from_bytes(header[12:16], "little") == source.stat().st_size


def test_serve_byte_compiles_its_own_packages_once_it_listens() -> None:
    import api_models.models
    from app import cli

    source = Path(api_models.models.__file__)
    cached = Path(importlib.util.cache_from_source(str(source)))
    cached.unlink(missing_ok=True)
    bytecode.precompile.cache_clear()  # a fresh run

    cli._precompile_server().join(120)

    assert cached.is_file() and cached.read_bytes()[:4] == importlib.util.MAGIC_NUMBER
