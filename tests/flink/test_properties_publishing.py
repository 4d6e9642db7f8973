"""msf-local holds each Flink job's EnvironmentProperties where its ``main()`` reads them while the job is
submitted (``runtime_adapter.flink.properties``), against the fake Flink REST server: two jobs submitted at
once each find their own properties for the whole of their submission; a target msf-local may not write is
logged once and the job starts all the same; closing removes what was written."""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from runtime_adapter.base import PropertyGroup, StartResult
from runtime_adapter.flink.adapter import FlinkRuntimeAdapter
from runtime_adapter.flink.properties import AWS_PATH, PropertiesPublisher
from runtime_adapter.flink.service import remote_flink
from tests.flink.fake_flink import FakeFlink
from tests.flink.test_adapter_rest import jar_spec

MAIN_S = 0.2  # how long the fake's "main()" runs: another submission may come meanwhile


def probe_groups(token: str) -> list[dict[str, Any]]:
    return [{"PropertyGroupId": "Probe", "PropertyMap": {"token": token}}]


def test_two_jobs_submitted_at_once_each_find_their_own_properties_until_their_submission_ends(
    fake: FakeFlink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws = tmp_path / "etc" / "flink" / "application_properties.json"
    own = tmp_path / "cluster" / "application_properties.json"
    adapter = FlinkRuntimeAdapter(fake.url, tmp_path / "state", properties=PropertiesPublisher((aws, own)))
    seen: dict[str, list[tuple[Any, Any]]] = {}
    handle = fake.handle

    def main_reads(method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
        if path.endswith("/run"):  # what the job's main() would read, when it begins and when it ends
            first = (json.loads(aws.read_text()), json.loads(own.read_text()))
            time.sleep(MAIN_S)
            seen[body["jobId"]] = [first, (json.loads(aws.read_text()), json.loads(own.read_text()))]
        return handle(method, path, query, body)

    monkeypatch.setattr(fake, "handle", main_reads)
    specs = []
    for index, token in enumerate(("first", "second")):
        (tmp_path / token).mkdir()
        groups = (PropertyGroup("Probe", {"token": token}),)
        specs.append(jar_spec(tmp_path / token, job_id=f"{index:032x}", property_groups=groups))
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(adapter.start, specs))

    assert [outcome.result for outcome in outcomes] == [StartResult.STARTED] * 2
    for spec, token in zip(specs, ("first", "second"), strict=True):
        assert seen[spec.job_id] == [(probe_groups(token), probe_groups(token))] * 2
    for path in (aws, own):
        assert path.stat().st_mode & 0o777 == 0o644  # the cluster's user (nobody) reads it
    assert aws.parent.stat().st_mode & 0o777 == 0o755
    adapter.close()
    assert not aws.exists() and not own.exists()
    assert not aws.parent.exists()  # the folder it created


def test_a_target_msf_local_may_not_write_is_logged_once_and_jobs_start_all_the_same(
    fake: FakeFlink, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    refused = blocked / "flink" / "application_properties.json"  # no folder can be made there, even as root
    own = tmp_path / "application_properties.json"
    publisher = PropertiesPublisher((refused, own))
    adapter = FlinkRuntimeAdapter(fake.url, tmp_path / "state", properties=publisher)
    with caplog.at_level(logging.WARNING, logger="runtime_adapter.flink.properties"):
        for index, token in enumerate(("first", "second")):
            (tmp_path / token).mkdir()
            groups = (PropertyGroup("Probe", {"token": token}),)
            spec = jar_spec(tmp_path / token, job_id=f"{index:032x}", property_groups=groups)
            assert adapter.start(spec).result is StartResult.STARTED
            assert json.loads(own.read_text()) == probe_groups(token)
    warnings = [record.getMessage() for record in caplog.records if "may not write" in record.getMessage()]
    assert len(warnings) == 1 and str(refused) in warnings[0], warnings

    own.write_text("[]")  # written by someone else since: closing leaves it
    adapter.close()
    assert own.read_text() == "[]"


@pytest.mark.parametrize(
    ("rest_url", "on_this_machine"),
    [
        ("http://127.0.0.1:8081", True),
        ("http://localhost:8081", True),
        ("http://[::1]:8081", True),
        ("http://jobmanager:8081", False),
        ("http://10.1.2.3:8081", False),
    ],
)
def test_only_a_cluster_on_this_machine_gets_the_aws_path(
    rest_url: str, on_this_machine: bool, tmp_path: Path
) -> None:
    adapter = remote_flink(rest_url, tmp_path)
    try:
        targets = adapter.properties.targets if adapter.properties else ()
        assert targets == ((AWS_PATH,) if on_this_machine else ())
    finally:
        adapter.close()


def test_serve_over_a_cluster_flink_cluster_start_runs_also_writes_its_variables_file(tmp_path: Path) -> None:
    cluster_dir = tmp_path / "flink"  # ``msf-local flink-cluster start`` over the same data directory
    cluster_dir.mkdir()
    record = {"rest_url": "http://127.0.0.1:8082", "processes": []}
    (cluster_dir / "cluster.json").write_text(json.dumps(record))
    for rest_url, targets in [
        ("http://localhost:8082", (AWS_PATH, cluster_dir / "application_properties.json")),
        ("http://127.0.0.1:8081", (AWS_PATH,)),  # another cluster
    ]:
        adapter = remote_flink(rest_url, tmp_path)
        try:
            assert adapter.properties is not None and adapter.properties.targets == targets
        finally:
            adapter.close()
