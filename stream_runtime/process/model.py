"""What the supervisor runs and reports: a job process's spec, its status, and savepoint outcomes.

Named apart from ``runtime_adapter.base``'s ``JobSpec`` / ``JobStatus`` / ``SavepointState``: these
describe one supervised job process; the adapter translates them into the control plane's outcomes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from stream_runtime.config import RuntimeOverrides
from stream_runtime.process.sandbox import JobSandbox


class JobProcessStatus(Enum):
    """Observed state of a supervised job."""

    CREATED = "CREATED"  # start() not called yet
    RUNNING = "RUNNING"  # a job process is alive (initialising or processing)
    RESTARTING = "RESTARTING"  # the last process failed; waiting out the restart delay
    FAILED = "FAILED"  # failed and the restart strategy gave up (see failure_cause)
    FINISHED = "FINISHED"  # bounded input fully processed
    CANCELED = "CANCELED"  # cancelled on request

    @property
    def is_terminal(self) -> bool:
        """Whether the job will not change state any more."""
        return self in (JobProcessStatus.FAILED, JobProcessStatus.FINISHED, JobProcessStatus.CANCELED)


@dataclass(frozen=True)
class JobProcessSpec:
    """What to run: the job file, its identity and checkpoint root, and what the control plane imposes.

    ``checkpoint_dir``, ``restore_path`` and ``savepoint_dir`` are paths or ``s3://bucket/prefix`` URIs (S3
    endpoint and credentials from ``env`` over the process environment). ``restore_path`` is a savepoint or
    checkpoint folder; the parallelism to run (and restore) at is ``overrides.parallelism``.
    ``savepoint_dir`` is the default target of savepoints (else the checkpoint root). With a ``sandbox`` the
    process is launched inside it and gets only the sandbox's environment (:mod:`.sandbox`).
    """

    job_file: str
    job_id: str
    checkpoint_dir: str
    args: Sequence[str] = ()
    overrides: RuntimeOverrides = field(default_factory=RuntimeOverrides)
    restore_path: str | None = None
    allow_non_restored_state: bool = False
    properties_file: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    savepoint_dir: str | None = None
    sandbox: JobSandbox | None = None

    def command_line(self, python: str, restore: str | None, control_fd: int, attempt: int) -> list[str]:
        """The job process's command line for one attempt (``python -m stream_runtime run ...``)."""
        argv = [
            python,
            "-m",
            "stream_runtime",
            "run",
            self.job_file,
            "--job-id",
            self.job_id,
            "--checkpoint-dir",
            self.checkpoint_dir,
            "--control-fd",
            str(control_fd),
            "--owner-pid",
            str(os.getpid()),
            "--attempt",
            str(attempt),
            *self.overrides.to_cli_args(),
        ]
        if restore:
            argv += ["--restore", restore]
        if self.allow_non_restored_state:
            argv.append("--allow-non-restored-state")
        if self.properties_file:
            argv += ["--properties", self.properties_file]
        return [*argv, "--", *self.args]


class SavepointProgress(Enum):
    """Progress of a savepoint request."""

    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class SavepointOutcome:
    """One observation of a savepoint request (``location`` once COMPLETED, ``error`` once FAILED)."""

    request_id: str
    state: SavepointProgress
    location: str | None = None
    error: str | None = None
    stop: bool = False  # part of a stop-with-savepoint
    drain: bool = False

    @property
    def done(self) -> bool:
        """Whether the request will not change any more."""
        return self.state is not SavepointProgress.IN_PROGRESS
