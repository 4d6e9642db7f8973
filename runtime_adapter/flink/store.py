"""What the Flink adapter keeps on its own disk, because Flink forgets it.

- Savepoint results (``savepoints/<trigger id>.json``), written the first time a trigger is seen
  COMPLETED or FAILED: Flink drops trigger results after ``rest.async.store-duration`` (5 min) and
  on a JobManager restart.
- Each job's checkpoint directory (``jobs/<job id>.json``), so the latest retained checkpoint of a job
  the cluster no longer knows is found from the checkpoint storage itself (``<dir>/<job id>/chk-N``;
  a checkpoint exists iff its ``_metadata`` does).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from runtime_adapter.base import CompletedCheckpoint, JobSpec, SavepointState, SavepointStatus
from runtime_adapter.flink.properties import properties_json

_CHECKPOINT = re.compile(r"^chk-(\d+)$")
_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class _SavedResult:
    state: str
    location: str | None
    error: str | None


def local_path(location: str) -> Path | None:
    """The local path of a ``file:`` URI or plain path; None for other schemes (``s3://``)."""
    if location.startswith("file://"):
        return Path(location.removeprefix("file://"))
    if location.startswith("file:"):
        return Path(location.removeprefix("file:"))
    if "://" in location:
        return None
    return Path(location)


def as_uri(location: str) -> str:
    """A directory as Flink wants it: ``file://`` + absolute path for local paths, others unchanged."""
    path = local_path(location)
    return location if path is None else f"file://{path.resolve()}"


class AdapterStore:
    """Savepoint results and job checkpoint directories under the adapter's state directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save_result(self, trigger_id: str, status: SavepointStatus) -> None:
        """Remember a settled savepoint result (atomically)."""
        if not _ID.match(trigger_id):
            return
        record = _SavedResult(status.state.value, status.location, status.error)
        self._write(self.root / "savepoints" / f"{trigger_id}.json", json.dumps(asdict(record)))

    def result(self, trigger_id: str, caller_id: str) -> SavepointStatus | None:
        """The remembered result of a trigger, answered under the caller's id."""
        path = self.root / "savepoints" / f"{trigger_id}.json"
        if not _ID.match(trigger_id) or not path.is_file():
            return None
        record = json.loads(path.read_text())
        state = SavepointState(record["state"])
        return SavepointStatus(caller_id, state, record["location"], record["error"])

    def remember_job(self, job_id: str, checkpoint_dir: str | None) -> None:
        """Record where a job writes its checkpoints."""
        if _ID.match(job_id):
            self._write(self.root / "jobs" / f"{job_id}.json", json.dumps({"checkpoint_dir": checkpoint_dir}))

    def python_job_file(self, spec: JobSpec) -> Path:
        """Write the file ``bootstrap.py`` reads for a Python job (with the job's own properties file)."""
        directory = self.root / "jobs" / spec.job_id
        directory.mkdir(parents=True, exist_ok=True)
        properties = str(spec.properties_file) if spec.properties_file else None
        if spec.property_groups:
            self._write(directory / "application_properties.json", properties_json(spec))
            properties = str(directory / "application_properties.json")
        root = spec.code.root.resolve()
        job = {
            "entry": str(root / spec.code.entry),
            "root": str(root),
            "environment": dict(spec.environment),
            "properties_file": properties,
        }
        self._write(directory / "job.json", json.dumps(job, indent=2))
        return directory / "job.json"

    def latest_retained_checkpoint(self, job_id: str) -> CompletedCheckpoint | None:
        """The newest ``chk-N`` with a ``_metadata`` file in the job's checkpoint directory."""
        path = self.root / "jobs" / f"{job_id}.json"
        if not _ID.match(job_id) or not path.is_file():
            return None
        checkpoint_dir = json.loads(path.read_text()).get("checkpoint_dir")
        base = local_path(checkpoint_dir) if checkpoint_dir else None
        if base is None or not (base / job_id).is_dir():
            return None
        best: tuple[int, Path] | None = None
        for entry in (base / job_id).iterdir():
            match = _CHECKPOINT.match(entry.name)
            if match and (entry / "_metadata").is_file() and (best is None or int(match[1]) > best[0]):
                best = (int(match[1]), entry)
        if best is None:
            return None
        number, directory = best
        metadata = directory / "_metadata"
        return CompletedCheckpoint(
            checkpoint_id=number,
            location=f"file:{directory.resolve()}",
            completed_at_ms=int(metadata.stat().st_mtime * 1000),
            size_bytes=sum(f.stat().st_size for f in directory.rglob("*") if f.is_file()),
        )

    @staticmethod
    def _write(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(text)
        os.replace(partial, path)
