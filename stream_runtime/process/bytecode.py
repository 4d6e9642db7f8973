"""The runtime's bytecode, written once by the process that supervises jobs.

A job process imports some sixty modules of ``stream_runtime``. Without their cached bytecode
(``__pycache__``) every attempt compiles them from source again: about a quarter of a second of CPU, at every
start and every restart. A job usually cannot write that cache itself: it runs as another user (``nobody``,
see docs/security.md) in front of a read-only installation, or with ``PYTHONDONTWRITEBYTECODE`` set. So the
supervising process compiles the package once, in the background, as ``pip`` does when it installs a
package: afterwards every job process reads the cache. Files already up to date cost a ``stat`` each.
``msf-local serve`` does the same for its own packages once it listens, so that its next start, after a
crash above all, reads them from the cache too.
"""

from __future__ import annotations

import functools
import os
import threading

RUNTIME_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _compile(directories: tuple[str, ...]) -> None:
    import compileall  # only here: the server need not import it unless it compiles something

    # a file it cannot write (a read-only installation, which pip compiled) is skipped silently
    for directory in directories:
        compileall.compile_dir(directory, quiet=2)


@functools.cache
def precompile(*directories: str) -> threading.Thread:
    """Byte-compile the packages in ``directories`` in a background thread, once per process (the thread,
    to join)."""
    thread = threading.Thread(target=_compile, args=(directories,), name="precompile", daemon=True)
    thread.start()
    return thread


def precompile_runtime() -> threading.Thread:
    """Byte-compile ``stream_runtime`` in a background thread, once per process (the thread, to join)."""
    return precompile(RUNTIME_PACKAGE)
