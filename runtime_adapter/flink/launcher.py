"""msf-local's launcher: the entry class that makes the control plane's checkpoint configuration win.

On Amazon Managed Service for Apache Flink, CheckpointConfiguration DEFAULT (or CUSTOM) applies "even if
set in the application code". Flink itself lets the code win: ``env.enableCheckpointing(...)`` runs after
the per-job ``flinkConfiguration`` is applied, and Flink's only guard (``execution.program-config.enabled:
false``) rejects the whole job instead. So msf-local submits every job through ``msflocal.PinnedLauncher``
(``launcher/msflocal/PinnedLauncher.java``): it wraps the execution-environment factory of the submission
so each environment the program creates keeps the keys in ``msf-local.pinned-keys`` at the submitted
values, then calls the application's real entry class (or Flink's ``PythonDriver``).

The launcher is compiled once per distribution with ``javac`` against its ``lib/`` (cached under
``~/.cache/msf-local``) and added to a copy of the application's jar, so it runs in the program's own
class loader; Python jobs upload a jar holding only the launcher and put ``flink-python`` on the
program's classpath (``pipeline.classpaths``). Without a JDK (no ``javac``) jobs are submitted as they
are and the code's own settings win (logged once).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import zipfile
from pathlib import Path

logger = logging.getLogger(__name__)

LAUNCHER_CLASS = "msflocal.PinnedLauncher"
PINNED_KEYS = "msf-local.pinned-keys"
SOURCE = Path(__file__).parent / "launcher" / "msflocal" / "PinnedLauncher.java"


class Launcher:
    """Builds launcher-wrapped copies of jars under ``work_dir`` (cached by content)."""

    def __init__(self, home: Path, work_dir: Path) -> None:
        self.home = home
        self.work_dir = work_dir
        self._classes: dict[str, bytes] | None = None
        self._lock = threading.Lock()

    def available(self) -> bool:
        """Whether the launcher classes can be built (a JDK is installed)."""
        return self.classes() is not None

    def classes(self) -> dict[str, bytes] | None:
        """The compiled launcher classes by archive name; None without ``javac``."""
        with self._lock:
            if self._classes is None:
                self._classes = self._compile()
            return self._classes or None

    def jar(self) -> Path:
        """A jar holding only the launcher (for Python jobs: ``flink-python`` joins via the classpath)."""
        classes = self.classes()
        assert classes is not None
        digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
        path = self.work_dir / "jars" / f"msf-local-launcher-{digest}.jar"
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".partial")
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(
                    "META-INF/MANIFEST.MF", f"Manifest-Version: 1.0\nMain-Class: {LAUNCHER_CLASS}\n\n"
                )
                for name, data in classes.items():
                    archive.writestr(name, data)
            partial.replace(path)
        return path

    def wrap(self, jar: Path) -> Path:
        """A copy of ``jar`` with the launcher classes added."""
        classes = self.classes()
        assert classes is not None
        digest = hashlib.sha256(jar.read_bytes() + SOURCE.read_bytes()).hexdigest()[:16]
        wrapped = self.work_dir / "jars" / f"{jar.stem}-{digest}.jar"
        if wrapped.is_file():
            return wrapped
        wrapped.parent.mkdir(parents=True, exist_ok=True)
        partial = wrapped.with_suffix(".partial")
        with zipfile.ZipFile(jar) as source, zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                if item.filename not in classes:
                    target.writestr(item, source.read(item.filename))
            for name, data in classes.items():
                target.writestr(name, data)
        partial.replace(wrapped)
        return wrapped

    def _compile(self) -> dict[str, bytes]:
        javac = shutil.which("javac")
        if javac is None:
            logger.warning(
                "no javac: Flink jobs run without msf-local's launcher; code checkpoint settings win"
            )
            return {}
        digest = hashlib.sha256(SOURCE.read_bytes() + str(self.home).encode()).hexdigest()[:16]
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "msf-local"
        output = cache / f"launcher-{digest}"
        if not output.is_dir():
            cache.mkdir(parents=True, exist_ok=True)
            partial = Path(tempfile.mkdtemp(dir=cache, prefix=".launcher-"))
            shutil.rmtree(partial, ignore_errors=True)
            command = [javac, "-d", str(partial), "-cp", f"{self.home / 'lib'}/*", str(SOURCE)]
            result = subprocess.run(command, capture_output=True, text=True, timeout=300)
            if result.returncode != 0:
                logger.warning(
                    "the launcher did not compile; code checkpoint settings win: %s", result.stderr
                )
                return {}
            try:
                partial.replace(output)
            except OSError:  # compiled meanwhile by another process
                shutil.rmtree(partial, ignore_errors=True)
        return {path.relative_to(output).as_posix(): path.read_bytes() for path in output.rglob("*.class")}


def manifest_entry_class(jar: Path) -> str | None:
    """The ``Main-Class`` (or Flink's ``program-class``) of a jar's manifest."""
    try:
        with zipfile.ZipFile(jar) as archive:
            manifest = archive.read("META-INF/MANIFEST.MF").decode("utf-8", "replace")
    except (KeyError, OSError, zipfile.BadZipFile):
        return None
    for wanted in ("program-class", "Main-Class"):
        for line in manifest.splitlines():
            name, _, value = line.partition(":")
            if name.strip() == wanted and value.strip():
                return value.strip()
    return None
