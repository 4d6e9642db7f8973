"""Apache Airflow's kinesisanalyticsv2 waiters, unchanged, through botocore's waiter machinery.

The waiter definitions are the Amazon provider's own JSON (pinned by ``airflow/pin_waiters.py``, which
records the release it came from); they are built the way Airflow's ``BaseBotoWaiter`` builds them —
``botocore.waiter.WaiterModel`` + ``create_waiter_with_client`` on a plain boto3 client — and run
against a live msf-local whose control loop and embedded runtime really start and stop the job. Only
the polling cadence is passed at call time (``WaiterConfig``), as Airflow's operators do.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import WaiterError
from botocore.waiter import Waiter, WaiterModel, create_waiter_with_client

from tests.api.app_helpers import python_zip as code_zip
from tests.conftest import LiveServer

PINNED = Path(__file__).resolve().parent / "airflow"
ROLE = "arn:aws:iam::123456789012:role/msf"
JOB = """
from stream_runtime import DiscardingSink, StreamExecutionEnvironment

env = StreamExecutionEnvironment.get_execution_environment()
env.from_sequence(0, None, records_per_second=50).uid("numbers").add_sink(DiscardingSink())
env.execute("numbers")
"""
POLL = {"Delay": 1, "MaxAttempts": 120}
"""Airflow's operators pass ``waiter_delay``/``waiter_max_attempts`` the same way (bounded: 2 minutes)."""


def airflow_waiter(name: str, client: Any) -> Waiter:
    """The provider's waiter ``name``, built as Airflow's BaseBotoWaiter builds it."""
    model = WaiterModel(json.loads((PINNED / "kinesisanalyticsv2.json").read_bytes()))
    return create_waiter_with_client(name, model, client)


def create(kav2: Any, name: str, code: dict[str, str]) -> None:
    kav2.create_application(
        ApplicationName=name,
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {"ZipFileContent": code_zip(code)},
                "CodeContentType": "ZIPFILE",
            }
        },
    )


def status(kav2: Any, name: str) -> str:
    value: str = kav2.describe_application(ApplicationName=name)["ApplicationDetail"]["ApplicationStatus"]
    return value


def test_the_pinned_file_is_the_one_its_source_record_names() -> None:
    source = json.loads((PINNED / "SOURCE.json").read_text())
    pinned = (PINNED / "kinesisanalyticsv2.json").read_bytes()
    assert hashlib.sha256(pinned).hexdigest() == source["file_sha256"]
    assert source["package"] == "apache-airflow-providers-amazon"
    model = WaiterModel(json.loads(pinned))
    assert sorted(model.waiter_names) == ["application_start_complete", "application_stop_complete"]


def test_start_and_stop_waiters_succeed_against_a_live_server(make_server: Any) -> None:
    live: LiveServer = make_server(control_interval=0.1)
    kav2 = live.client()
    create(kav2, "airflow-app", {"main.py": JOB})
    kav2.start_application(ApplicationName="airflow-app", RunConfiguration={})
    assert status(kav2, "airflow-app") in ("STARTING", "RUNNING")
    airflow_waiter("application_start_complete", kav2).wait(ApplicationName="airflow-app", WaiterConfig=POLL)
    assert status(kav2, "airflow-app") == "RUNNING"

    kav2.stop_application(ApplicationName="airflow-app")
    airflow_waiter("application_stop_complete", kav2).wait(ApplicationName="airflow-app", WaiterConfig=POLL)
    assert status(kav2, "airflow-app") == "READY"


def test_start_waiter_fails_when_the_start_fails_and_the_application_is_ready_again(make_server: Any) -> None:
    live: LiveServer = make_server(control_interval=0.1)
    kav2 = live.client()
    create(kav2, "airflow-broken", {"app.py": "print('no main.py')\n"})
    kav2.start_application(ApplicationName="airflow-broken")
    with pytest.raises(WaiterError) as raised:
        airflow_waiter("application_start_complete", kav2).wait(
            ApplicationName="airflow-broken", WaiterConfig=POLL
        )
    assert "terminal failure state" in str(raised.value)
    assert raised.value.last_response["ApplicationDetail"]["ApplicationStatus"] == "READY"


def test_stop_waiter_fails_for_an_application_that_is_deleted_meanwhile(make_server: Any) -> None:
    live: LiveServer = make_server(control_interval=0.1)
    kav2 = live.client()
    create(kav2, "airflow-gone", {"main.py": JOB})
    created = kav2.describe_application(ApplicationName="airflow-gone")["ApplicationDetail"][
        "CreateTimestamp"
    ]
    kav2.delete_application(ApplicationName="airflow-gone", CreateTimestamp=created)
    with pytest.raises(WaiterError) as raised:
        airflow_waiter("application_stop_complete", kav2).wait(
            ApplicationName="airflow-gone", WaiterConfig=POLL
        )
    assert raised.value.last_response["Error"]["Code"] == "ResourceNotFoundException"
