"""End to end through boto3 against a live msf-local with the embedded runtime, running the example
``examples/kinesis_word_count`` as ``examples/deploy.py`` deploys it: code zipped to the embedded S3, input
from a Kinesis stream behind the same endpoint, ``word,count`` lines from the exactly-once file sink.

"Exact" means: the committed lines of each word are precisely the counts the records put so far produce,
each once. After a restore from an older snapshot the state rewinds to the snapshot and the Kinesis source
resumes from the snapshot's positions, so the records after it are counted again from the snapshot's
counts: ``WordCountApp.restored`` adds those expected lines.

Every status the API reports while the proof waits is checked against the Terraform/boto3 waiter table
(spec §2): a status outside a waiter's pending and target sets would make Terraform fail.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from botocore.exceptions import ClientError

from tests.clients.conftest import REPO, serving
from tests.conftest import LiveServer, stop_server
from tests.control.test_live_server import operation_status, rescale, status, wait_successful


def _load_deploy() -> ModuleType:
    spec = importlib.util.spec_from_file_location("msf_local_example_deploy", REPO / "examples" / "deploy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


DEPLOY = _load_deploy()
WORDS = ("alpha", "beta", "gamma", "delta", "epsilon")
NOT_FOUND = "(not found)"


def committed(out_dir: Path) -> dict[str, list[int]]:
    """Per word, the counts of every committed ``word,count`` line (finished files only), sorted."""
    counts: dict[str, list[int]] = defaultdict(list)
    for part in sorted(out_dir.glob("part-*")):
        for line in part.read_text().splitlines():
            word, count = line.split(",")
            counts[word].append(int(count))
    return {word: sorted(values) for word, values in counts.items()}


class WordCountApp:
    """The example application on a live server: the records put into its stream and the lines expected."""

    def __init__(self, url: str, out_dir: Path) -> None:
        self.connect(url)
        self.out_dir = out_dir
        suffix = uuid.uuid4().hex[:10]
        self.deployment = DEPLOY.Deployment(
            application="word-count",
            bucket=f"code-{suffix}",
            stream=f"words-{suffix}",
            output=str(out_dir),
            checkpoint_interval_ms=200,
        )
        self.name: str = self.deployment.application
        self.records: list[list[str]] = []  # the words of every record put, in order
        self.state: Counter[str] = Counter()  # the job's counts once it has caught up
        self.expected: dict[str, list[int]] = defaultdict(list)  # every committed line, by word

    def connect(self, url: str) -> None:
        self.clients = DEPLOY.Clients.create(
            url, "us-east-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret"
        )
        self.kav2 = self.clients.kinesisanalyticsv2

    def deploy(self) -> str:
        operation_id: str = DEPLOY.deploy(self.clients, self.deployment, timeout_s=60)
        return operation_id

    def put(self, count: int) -> None:
        for _ in range(count):
            index = len(self.records)
            words = [WORDS[index % len(WORDS)], WORDS[(index * 3 + 1) % len(WORDS)]]
            line = f"{words[0].capitalize()} {words[1]}!"  # the job lower-cases and drops punctuation
            self.clients.kinesis.put_record(
                StreamName=self.deployment.stream, Data=line.encode(), PartitionKey=f"p{index}"
            )
            self.records.append(words)
            self._count(words)

    def _count(self, words: list[str]) -> None:
        for word in words:
            self.state[word] += 1
            self.expected[word].append(self.state[word])

    def restored(self, records_in_snapshot: int) -> None:
        """The job restarted from a snapshot taken after that many records: the later ones count again."""
        self.state = Counter(word for words in self.records[:records_in_snapshot] for word in words)
        for words in self.records[records_in_snapshot:]:
            self._count(words)

    def assert_counts_exact(self, timeout: float = 30.0) -> None:
        """Wait (bounded) until the sink has committed as many lines as expected: exactly those."""
        wanted = {word: sorted(counts) for word, counts in self.expected.items()}
        total = sum(len(counts) for counts in wanted.values())
        deadline = time.monotonic() + timeout
        lines = committed(self.out_dir)
        while sum(len(counts) for counts in lines.values()) < total and time.monotonic() < deadline:
            time.sleep(0.1)
            lines = committed(self.out_dir)
        assert lines == wanted

    def run(self, call: str, **arguments: Any) -> None:
        """A lifecycle call whose operation must succeed."""
        response = getattr(self.kav2, call)(ApplicationName=self.name, **arguments)
        wait_successful(self.kav2, self.name, response["OperationId"])


# ---- the waiter table (spec §2) ---------------------------------------------------------------


@dataclass(frozen=True)
class WaiterRule:
    """What a Terraform waiter accepts: statuses to keep polling on, and those it stops at."""

    pending: frozenset[str]
    target: frozenset[str]


WAITERS = {
    "started": WaiterRule(frozenset({"STARTING"}), frozenset({"RUNNING"})),
    "stopped": WaiterRule(frozenset({"STOPPING", "FORCE_STOPPING"}), frozenset({"READY"})),
    "updated": WaiterRule(frozenset({"UPDATING"}), frozenset({"READY", "RUNNING"})),
    "deleted": WaiterRule(frozenset({"DELETING"}), frozenset({NOT_FOUND})),
    "operation": WaiterRule(frozenset({"IN_PROGRESS"}), frozenset({"SUCCESSFUL"})),
    "snapshot created": WaiterRule(frozenset({"CREATING"}), frozenset({"READY"})),
    "snapshot deleted": WaiterRule(frozenset({"DELETING"}), frozenset({NOT_FOUND})),
}


@dataclass
class WaiterLog:
    """Polls as the waiters do and keeps every status observed, waiter by waiter."""

    observed: list[tuple[str, list[str]]] = field(default_factory=list)

    def wait(self, waiter: str, read: Callable[[], str], timeout: float = 60.0) -> str:
        """Poll ``read`` (from right after the call) until a target status; bounded."""
        rule = WAITERS[waiter]
        seen = [read()]
        deadline = time.monotonic() + timeout
        while seen[-1] not in rule.target and seen[-1] in rule.pending and time.monotonic() < deadline:
            time.sleep(0.05)
            value = read()
            if value != seen[-1]:
                seen.append(value)
        self.observed.append((waiter, seen))
        assert seen[-1] in rule.target, (waiter, seen)
        return seen[-1]

    def assert_every_status_expected(self) -> None:
        """Each observed sequence: pending statuses, then one target status, nothing else."""
        for waiter, seen in self.observed:
            rule = WAITERS[waiter]
            assert all(value in rule.pending for value in seen[:-1]), (waiter, seen)
            assert seen[-1] in rule.target, (waiter, seen)


def application_status(kav2: Any, name: str) -> str:
    try:
        return status(kav2, name)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return NOT_FOUND
        raise


def snapshot_status(kav2: Any, name: str, snapshot: str) -> str:
    try:
        details = kav2.describe_application_snapshot(ApplicationName=name, SnapshotName=snapshot)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return NOT_FOUND
        raise
    value: str = details["SnapshotDetails"]["SnapshotStatus"]
    return value


# ---- the proof ------------------------------------------------------------------------------------


def test_the_example_counts_exactly_through_snapshot_rescale_stop_and_custom_restore(tmp_path: Path) -> None:
    """Issue 6's proof: a real ``msf-local serve`` process (SQLite), boto3 only, every wait bounded."""
    with serving(tmp_path / "data", MSF_CONTROL_INTERVAL="0.1") as server:
        app = WordCountApp(server.url, tmp_path / "out")
        kav2, name, log = app.kav2, app.name, WaiterLog()

        def lifecycle(call: str, waiter: str, **arguments: Any) -> None:
            operation_id = getattr(kav2, call)(ApplicationName=name, **arguments)["OperationId"]
            log.wait(waiter, lambda: application_status(kav2, name))
            log.wait("operation", lambda: operation_status(kav2, name, operation_id))

        started = app.deploy()  # zip → S3 → CreateApplication → StartApplication → RUNNING
        log.wait("operation", lambda: operation_status(kav2, name, started))
        code = kav2.describe_application(ApplicationName=name)["ApplicationDetail"][
            "ApplicationConfigurationDescription"
        ]["ApplicationCodeConfigurationDescription"]["CodeContentDescription"]
        assert code["CodeSize"] == len(DEPLOY.package()) and len(code["CodeMD5"]) == 128

        app.put(30)
        app.assert_counts_exact()

        kav2.create_application_snapshot(ApplicationName=name, SnapshotName="after-30")
        log.wait("snapshot created", lambda: snapshot_status(kav2, name, "after-30"))
        records_in_snapshot = len(app.records)

        version = kav2.describe_application(ApplicationName=name)["ApplicationDetail"]["ApplicationVersionId"]
        lifecycle(
            "update_application",
            "updated",
            CurrentApplicationVersionId=version,
            ApplicationConfigurationUpdate={
                "FlinkApplicationConfigurationUpdate": {
                    "ParallelismConfigurationUpdate": {
                        "ConfigurationTypeUpdate": "CUSTOM",
                        "ParallelismUpdate": 2,
                    }
                }
            },
        )
        assert application_status(kav2, name) == "RUNNING"
        app.put(30)
        app.assert_counts_exact()

        lifecycle("stop_application", "stopped")
        app.assert_counts_exact()

        lifecycle(
            "start_application",
            "started",
            RunConfiguration={
                "ApplicationRestoreConfiguration": {
                    "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT",
                    "SnapshotName": "after-30",
                }
            },
        )
        app.restored(records_in_snapshot)  # the state rewinds; the 30 records after it are read again
        app.put(30)
        app.assert_counts_exact()
        in_stream = Counter(word for words in app.records for word in words)
        assert {word: max(counts) for word, counts in committed(app.out_dir).items()} == in_stream

        summaries = kav2.list_application_snapshots(ApplicationName=name)["SnapshotSummaries"]
        names = [summary["SnapshotName"] for summary in summaries]
        assert names[0] == "after-30" and len(names) == 3  # plus the update's and the stop's system snapshots
        assert all(n.startswith("SYSTEMSNAPSHOT-") for n in names[1:])
        assert {summary["SnapshotStatus"] for summary in summaries} == {"READY"}
        created = summaries[0]["SnapshotCreationTimestamp"]
        kav2.delete_application_snapshot(
            ApplicationName=name, SnapshotName="after-30", SnapshotCreationTimestamp=created
        )
        log.wait("snapshot deleted", lambda: snapshot_status(kav2, name, "after-30"))

        lifecycle("stop_application", "stopped", Force=True)
        created_at = kav2.describe_application(ApplicationName=name)["ApplicationDetail"]["CreateTimestamp"]
        kav2.delete_application(ApplicationName=name, CreateTimestamp=created_at)
        log.wait("deleted", lambda: application_status(kav2, name))
        log.assert_every_status_expected()
        assert {waiter for waiter, _ in log.observed} == set(WAITERS)


# ---- the same example on both databases, in process ----------------------------------------------


def test_counts_stay_exact_through_rescale_stop_and_restart(make_server: Any, tmp_path: Path) -> None:
    live: LiveServer = make_server(control_interval=0.1)
    app = WordCountApp(live.url, tmp_path / "out")
    app.deploy()
    app.put(40)
    app.assert_counts_exact()

    wait_successful(app.kav2, app.name, rescale(app.kav2, app.name, 2))
    assert status(app.kav2, app.name) == "RUNNING"
    app.put(40)
    app.assert_counts_exact()

    app.run("stop_application")
    assert status(app.kav2, app.name) == "READY"
    app.put(40)  # arrives while the application is stopped
    app.run("start_application")  # RESTORE_FROM_LATEST_SNAPSHOT: the stop's system snapshot
    app.assert_counts_exact()
    app.run("stop_application", Force=True)


def test_a_restarted_control_plane_resumes_the_running_application(make_server: Any, tmp_path: Path) -> None:
    first: LiveServer = make_server(control_interval=0.1)
    app = WordCountApp(first.url, tmp_path / "out")
    app.deploy()
    app.put(40)
    app.assert_counts_exact()
    stop_server(first)  # the control plane goes away; its jobs end with it

    second: LiveServer = make_server(control_interval=0.1, data_dir=first.settings.data_dir)
    app.connect(second.url)
    app.put(40)
    app.assert_counts_exact()  # resubmitted from its latest checkpoint: nothing lost, nothing twice
    assert status(app.kav2, app.name) == "RUNNING"
    app.run("stop_application", Force=True)
