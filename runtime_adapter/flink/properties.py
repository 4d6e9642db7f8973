"""Where a job's ``main()`` finds its runtime properties on Flink: ``/etc/flink/application_properties.json``.

On Amazon Managed Service for Apache Flink, an application's EnvironmentProperties are in
``/etc/flink/application_properties.json``, a JSON list of ``{"PropertyGroupId", "PropertyMap"}``. AWS's Java
library (``KinesisAnalyticsRuntime.getApplicationProperties()``, Flink's shaded Jackson; a missing file is no
properties) and the Python samples read that file, in ``main()``. On a Flink session cluster a program's
``main()`` runs in the JobManager, inside ``POST /jars/:id/run``. So :class:`PropertiesPublisher` writes the
job's groups to each of its targets just before that call and holds one lock until it returns: the AWS path
(when the cluster runs on this machine) and, for a cluster msf-local started, a file of the cluster's own
whose path its JobManager and TaskManagers have in ``MSF_APPLICATION_PROPERTIES``. Each application's
``main()`` reads its own properties, also when two start at once. A read after ``main()`` (in an operator, on
a TaskManager) sees the properties of the job submitted last.

The lock is a thread lock plus ``flock`` on each target's directory, so two msf-local servers on one machine
take turns too. Files are world-readable (the cluster may run as ``nobody``). A target msf-local may not write
(``/etc`` when it is not root) is logged once and skipped: the job is submitted all the same. Closing removes
what was written, unless someone wrote the file since.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from runtime_adapter.base import JobSpec
from runtime_adapter.flink.bootstrap import AWS_PROPERTIES_PATH

logger = logging.getLogger(__name__)

AWS_PATH = Path(AWS_PROPERTIES_PATH)


def properties_json(spec: JobSpec) -> str:
    """The job's property groups in AWS's format (``[]`` when it has none)."""
    if not spec.property_groups and spec.properties_file is not None and spec.properties_file.is_file():
        return spec.properties_file.read_text()
    groups = [
        {"PropertyGroupId": g.group_id, "PropertyMap": dict(g.properties)} for g in spec.property_groups
    ]
    return json.dumps(groups, indent=2)


@contextlib.contextmanager
def _flocked(directory: Path) -> Iterator[None]:
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


class PropertiesPublisher:
    """Writes each job's properties to ``targets`` while it is submitted (see the module's description)."""

    def __init__(self, targets: Sequence[Path]) -> None:
        self.targets = tuple(targets)
        self._lock = threading.Lock()
        self._written: dict[Path, str] = {}
        self._created: list[Path] = []
        self._refused: set[Path] = set()

    @contextlib.contextmanager
    def publishing(self, spec: JobSpec) -> Iterator[None]:
        """Hold every target with ``spec``'s properties in it until the block (the submission) ends."""
        text = properties_json(spec)
        with self._lock, contextlib.ExitStack() as held:
            for target in self.targets:
                try:
                    self._prepare(target.parent)
                    held.enter_context(_flocked(target.parent))
                    _write(target, text)
                except OSError as error:
                    self._refuse(target, error)
                    continue
                self._written[target] = text
            yield

    def close(self) -> None:
        """Remove the files this publisher wrote (those nobody rewrote since) and the folders it created."""
        with self._lock:
            for target, text in self._written.items():
                with contextlib.suppress(OSError), _flocked(target.parent):
                    if target.read_text() == text:
                        target.unlink()
            self._written.clear()
            for directory in reversed(self._created):
                with contextlib.suppress(OSError):
                    directory.rmdir()  # only if empty
            self._created.clear()

    def _prepare(self, directory: Path) -> None:
        if directory.is_dir():
            return
        directory.mkdir(mode=0o755, parents=True)
        directory.chmod(0o755)  # whatever the umask: the cluster's user reads through it
        self._created.append(directory)

    def _refuse(self, target: Path, error: OSError) -> None:
        if target in self._refused:
            return
        self._refused.add(target)
        logger.warning(
            "msf-local may not write %s (%s): Flink jobs will not find their EnvironmentProperties there%s",
            target,
            error,
            "; see 'Runtime properties' in docs/flink.md" if target == AWS_PATH else "",
        )


def _write(target: Path, text: str) -> None:
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(descriptor, "w") as stream:
        stream.write(text)
    partial.chmod(0o644)  # whatever the umask
    os.replace(partial, target)
