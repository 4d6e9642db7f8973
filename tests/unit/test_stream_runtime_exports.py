"""``stream_runtime``'s public names load on first use: importing the package loads none of the runtime."""

from __future__ import annotations

import subprocess
import sys

import pytest

import stream_runtime


def test_importing_the_package_loads_no_module_of_the_runtime() -> None:
    probe = "import sys, stream_runtime; print([m for m in sys.modules if m.startswith('stream_runtime.')])"
    loaded = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"


def test_every_public_name_resolves_to_its_defining_module() -> None:
    for name in stream_runtime.__all__:
        value = getattr(stream_runtime, name)
        assert value.__name__ == name
        assert value.__module__.startswith("stream_runtime.")
    assert set(stream_runtime.__all__) <= set(dir(stream_runtime))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        stream_runtime.NoSuchThing  # noqa: B018
