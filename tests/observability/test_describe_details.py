"""DescribeApplication with IncludeAdditionalDetails describes the running job's plan, as AWS does."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import LiveServer, eventually
from tests.control.test_live_server import rescale, wait_successful
from tests.observability.helpers import create_application, start_and_wait_running, status

JOB = """
from stream_runtime import DiscardingSink, StreamExecutionEnvironment

env = StreamExecutionEnvironment.get_execution_environment()
numbers = env.from_sequence(0, None, records_per_second=50).uid("numbers").name("numbers")
pairs = numbers.map(lambda n: (n % 7, 1)).uid("pairs").name("pairs")
counts = pairs.key_by(lambda pair: pair[0]).reduce(lambda a, b: (a[0], a[1] + b[1]))
counts = counts.uid("counts").name("counts")
counts.add_sink(DiscardingSink()).uid("sink").name("sink")
env.execute("plan")
"""
PARALLELISM = {
    "ConfigurationType": "CUSTOM",
    "Parallelism": 2,
    "ParallelismPerKPU": 1,
    "AutoScalingEnabled": False,
}


def plan(kav2: Any, **options: Any) -> str | None:
    detail = kav2.describe_application(ApplicationName="plan", **options)["ApplicationDetail"]
    flink = detail["ApplicationConfigurationDescription"]["FlinkApplicationConfigurationDescription"]
    found: str | None = flink.get("JobPlanDescription")
    return found


def current_parallelism(kav2: Any) -> int:
    detail = kav2.describe_application(ApplicationName="plan")["ApplicationDetail"]
    flink = detail["ApplicationConfigurationDescription"]["FlinkApplicationConfigurationDescription"]
    value: int = flink["ParallelismConfigurationDescription"]["CurrentParallelism"]
    return value


def plan_parallelism(kav2: Any) -> set[int]:
    """The parallelism of every operator of the running job, as its plan describes it."""
    document = json.loads(plan(kav2, IncludeAdditionalDetails=True) or '{"nodes": []}')
    return {node["parallelism"] for node in document["nodes"]}


def test_the_job_plan_of_a_running_application(make_server: Any) -> None:
    live: LiveServer = make_server(control_interval=0.1)
    kav2 = live.client()
    create_application(kav2, "plan", JOB, ParallelismConfiguration=PARALLELISM)
    assert plan(kav2, IncludeAdditionalDetails=True) is None  # no job, no plan
    start_and_wait_running(kav2, "plan")
    described = eventually(lambda: plan(kav2, IncludeAdditionalDetails=True) is not None, True)
    assert described
    document = json.loads(plan(kav2, IncludeAdditionalDetails=True) or "")
    assert document["type"] == "STREAMING" and document["name"] == "plan"
    nodes = {node["id"]: node for node in document["nodes"]}
    assert set(nodes) == {"numbers", "pairs", "counts", "sink"}
    assert {node["parallelism"] for node in nodes.values()} == {2}
    assert [(i["id"], i["ship_strategy"]) for i in nodes["counts"]["inputs"]] == [("pairs", "HASH")]
    assert [i["id"] for i in nodes["sink"]["inputs"]] == ["counts"]
    assert plan(kav2) is None  # only when asked for
    assert current_parallelism(kav2) == 2  # what the job runs with
    wait_successful(kav2, "plan", rescale(kav2, "plan", 1))  # a rescale of the running job
    assert eventually(lambda: plan_parallelism(kav2), {1}) == {1}
    assert current_parallelism(kav2) == 1
    kav2.stop_application(ApplicationName="plan")
    assert eventually(lambda: status(kav2, "plan"), "READY") == "READY"
    assert plan(kav2, IncludeAdditionalDetails=True) is None
