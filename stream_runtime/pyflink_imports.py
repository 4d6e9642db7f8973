"""Offers :mod:`stream_runtime.pyflink` as ``pyflink`` to a job run by the embedded runtime.

Only the job's process gets the alias (the embedded launcher installs it before running the job file); no
``pyflink`` package is installed anywhere, so a real apache-flink installation (used by the Flink runtime)
is never shadowed elsewhere.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    import importlib.abc

ALIAS = "pyflink"
TARGET = "stream_runtime.pyflink"


class PyFlinkAliasFinder:
    """Resolves ``pyflink[.x.y]`` to the module object of ``stream_runtime.pyflink[.x.y]``: a meta path finder
    and its loader, by protocol (``importlib.abc`` would cost every job process the import of
    ``importlib.resources``)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != ALIAS and not fullname.startswith(ALIAS + "."):
            return None
        real = TARGET + fullname[len(ALIAS) :]
        real_spec = importlib.util.find_spec(real)
        if real_spec is None:
            return None
        loader = cast("importlib.abc.Loader", self)
        package = real_spec.submodule_search_locations is not None
        return importlib.machinery.ModuleSpec(fullname, loader, is_package=package)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(TARGET + spec.name[len(ALIAS) :])

    def exec_module(self, module: ModuleType) -> None:
        """The module is the already-imported real one; give it back its own spec."""
        module.__spec__ = importlib.util.find_spec(module.__name__)


def install() -> PyFlinkAliasFinder:
    """Put the alias first on ``sys.meta_path`` (this process only)."""
    finder = PyFlinkAliasFinder()
    sys.meta_path.insert(0, finder)
    return finder


def uninstall(finder: PyFlinkAliasFinder) -> None:
    """Remove the alias and forget the ``pyflink`` modules it provided."""
    if finder in sys.meta_path:
        sys.meta_path.remove(finder)
    for name in [n for n in sys.modules if n == ALIAS or n.startswith(ALIAS + ".")]:
        if sys.modules[name].__name__.startswith(TARGET):
            del sys.modules[name]


@contextlib.contextmanager
def pyflink_imports() -> Iterator[None]:
    """``pyflink`` resolves to the embedded API inside the block (for in-process runs of PyFlink programs)."""
    finder = install()
    try:
        yield
    finally:
        uninstall(finder)
