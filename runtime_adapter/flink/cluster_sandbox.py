"""The sandbox of the local Flink cluster msf-local starts (``serve --flink local``, ``flink-cluster start``).

Its JobManager and TaskManagers run the applications' code (a JAR's ``main`` in the JobManager, operators
in the TaskManagers), so they are confined as embedded jobs are (:mod:`stream_runtime.process.sandbox`):

- their environment holds only ``PATH``, locale, CA bundles, ``JAVA_HOME`` and Flink's own variables —
  never msf-local's settings (``MSF_*``: database URL, credentials file), nor its AWS keys; their home and
  temporary folder (``java.io.tmpdir``, ``TMPDIR``) is the cluster's own ``tmp``, not the shared ``/tmp``;
- when msf-local runs as root (and may create mount namespaces), they run as the job user (``--job-user``,
  default ``nobody``) in a private mount namespace where the data directory shows only what the cluster
  uses: its own folder (owned by that user), the applications' checkpoints and savepoints (``state``,
  ``enhanced-snapshots``), their code (read only) and the Python jobs' start files (``flink-adapter``).
  The database, the credentials file and everything else of msf-local stay out of sight; ``/proc`` shows
  only that user's processes.

No KPU-sized limits apply: one cluster runs every Flink application, in JVMs sized by Flink's memory
settings. A remote cluster (``--flink-rest-url``) is confined, or not, by whoever runs it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from runtime_adapter.embedded_sandbox import SandboxSettings, hand_over
from stream_runtime.process.sandbox import JobSandbox, job_user_ids

FLINK_ENVIRONMENT = ("JAVA_HOME",)
SHARED = ("state", "enhanced-snapshots")  # the applications' checkpoints and savepoints: written
READ = ("code", "flink-adapter")  # the applications' code and the Python jobs' start files: read


@dataclass(frozen=True)
class ClusterSandbox:
    """Who the cluster's processes run as (``user``; None: msf-local's own user), what of ``data_dir``
    (msf-local's data directory) they may use and what they must never see (``hidden``)."""

    data_dir: Path
    user: str | None = None
    hidden: tuple[Path, ...] = ()

    @classmethod
    def from_settings(cls, settings: SandboxSettings, data_dir: Path) -> ClusterSandbox:
        """The cluster's sandbox under the embedded jobs' settings (same user, same hidden paths)."""
        return cls(data_dir, settings.effective_user(), settings.hidden)

    @property
    def owner(self) -> tuple[int, int] | None:
        """The uid and gid the processes switch to (None when they keep msf-local's)."""
        return job_user_ids(self.user) if self.user else None

    def prepare(self, cluster_dir: Path, *, shared_roots: bool = False) -> None:
        """Create the folders the cluster uses and hand ``cluster_dir`` (its own) to its user. With
        ``shared_roots`` (a cluster started on its own, whose jobs' folders nobody hands over) the roots of
        the applications' checkpoints and savepoints become that user's too."""
        for name in (*SHARED, *READ):
            (self.data_dir / name).mkdir(parents=True, exist_ok=True)
        owner = self.owner
        if owner is None:
            return
        hand_over(cluster_dir, *owner)
        if shared_roots:
            for name in SHARED:
                os.chown(self.data_dir / name, *owner)

    def hand_over(self, locations: Iterable[str | None]) -> None:
        """Make a job's local checkpoint and savepoint folders the cluster user's (before it is submitted)."""
        owner = self.owner
        for location in locations:
            path = location.removeprefix("file://").removeprefix("file:") if location else None
            if owner is not None and path and "://" not in path:
                hand_over(Path(path), *owner)

    def _job_sandbox(self, cluster_dir: Path) -> JobSandbox:
        exposed = [cluster_dir, *(self.data_dir / name for name in (*SHARED, *READ))]
        return JobSandbox(
            user=self.user,
            exposed=tuple(str(path) for path in exposed),
            hidden=tuple(str(path) for path in (self.data_dir, *self.hidden)),
            sized=False,
        )

    def environment(self, flink: dict[str, str], cluster_dir: Path) -> dict[str, str]:
        """A process's whole environment: the neutral variables of msf-local's, and ``flink``'s."""
        parent = dict(os.environ)
        own = {key: parent[key] for key in FLINK_ENVIRONMENT if key in parent}
        scratch = str(cluster_dir / "tmp")  # its home and temporary folder, not the shared /tmp
        own |= {"HOME": scratch, "TMPDIR": scratch, "JVM_ARGS": f"-Djava.io.tmpdir={scratch}"}
        return self._job_sandbox(cluster_dir).environment(own | flink, parent)

    def command(self, argv: list[str], cluster_dir: Path, python: str) -> list[str]:
        """``argv`` run through the sandbox launcher when the processes switch user, else as it is."""
        if not self.user:
            return argv
        program = shutil.which(argv[0]) or argv[0]  # the launcher execs it without a PATH search
        return self._job_sandbox(cluster_dir).command_line([program, *argv[1:]], python)
