"""docker-compose.yml and the Dockerfile agree with each other and with msf-local's settings.

No Docker engine (nor the compose plugin) runs here, so this checks what ``docker compose config`` would
not: that msf-local reaches PostgreSQL and the JobManager by their service names and ports, that every
container sees the shared state volume at the same path, and that the Flink images are 2.3.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document


def flink_properties(service: dict[str, Any]) -> dict[str, str]:
    lines = service["environment"]["FLINK_PROPERTIES"].splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def test_services_images_and_ports() -> None:
    services = compose()["services"]

    assert set(services) == {"postgres", "jobmanager", "taskmanager", "msf-local"}
    assert services["jobmanager"]["image"] == services["taskmanager"]["image"] == "flink:2.3"
    assert services["msf-local"]["build"] == "."
    assert "4590:4590" in services["msf-local"]["ports"]
    assert services["msf-local"]["command"][-2:] == ["--port", "4590"]
    assert "EXPOSE 4590" in (ROOT / "Dockerfile").read_text()


def test_msf_local_reaches_postgres_and_the_jobmanager_by_service_name() -> None:
    services = compose()["services"]
    environment = services["msf-local"]["environment"]
    postgres = services["postgres"]["environment"]
    rest_port = flink_properties(services["jobmanager"])["rest.port"]

    user, password, database = (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
    )
    assert (
        environment["MSF_DATABASE_URL"] == f"postgresql+psycopg://{user}:{password}@postgres:5432/{database}"
    )
    assert environment["MSF_FLINK_REST_URL"] == f"http://jobmanager:{rest_port}"
    assert f"{rest_port}:{rest_port}" in services["jobmanager"]["ports"]
    assert flink_properties(services["taskmanager"])["jobmanager.rpc.address"] == "jobmanager"
    settings = Settings(
        data_dir=Path(environment["MSF_DATA_DIR"]),
        database_url=environment["MSF_DATABASE_URL"],
        flink_rest_url=environment["MSF_FLINK_REST_URL"],
    )
    assert settings.flink_rest_url == "http://jobmanager:8081"


def test_every_container_that_touches_state_mounts_it_at_the_same_path() -> None:
    document = compose()
    services = document["services"]
    mounts = {name: services[name]["volumes"] for name in ("jobmanager", "taskmanager", "msf-local")}

    assert all(volumes == ["state:/data"] for volumes in mounts.values())
    assert "state" in document["volumes"]
    assert services["msf-local"]["environment"]["MSF_DATA_DIR"].startswith("/data/")
    properties = flink_properties(services["jobmanager"])
    assert properties["execution.checkpointing.dir"].startswith("file:///data/")
    assert properties["execution.checkpointing.savepoint-dir"].startswith("file:///data/")


def test_the_dockerfile_installs_the_flink_extra_and_a_jdk() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert "pip install --no-cache-dir -e '.[flink]'" in dockerfile
    assert "openjdk-17-jdk-headless" in dockerfile
    for package in ("app", "api_models", "runtime_adapter", "stream_runtime", "migrations"):
        assert f"COPY {package} ./{package}" in dockerfile
