"""The local Flink cluster's sandbox without starting a cluster: its environment, its command line and its
folders (the real cluster: tests/flink/test_cluster_sandbox.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from runtime_adapter.flink.cluster_sandbox import ClusterSandbox
from stream_runtime.process.sandbox import LAUNCHER, LAUNCHER_FLAGS


def test_the_cluster_gets_none_of_msf_locals_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "MSF_DATABASE_URL": "postgresql+psycopg://msf:secret@db/msf",
        "MSF_CREDENTIALS_FILE": "/etc/msf/credentials.json",
        "AWS_SECRET_ACCESS_KEY": "server-secret",
        "JAVA_HOME": "/usr/lib/jvm/java-17",
        "PATH": "/usr/bin:/bin",
    }.items():
        monkeypatch.setenv(name, value)
    cluster_dir = tmp_path / "data" / "flink"
    environment = ClusterSandbox(tmp_path / "data").environment({"FLINK_CONF_DIR": "conf"}, cluster_dir)

    assert not {"MSF_DATABASE_URL", "MSF_CREDENTIALS_FILE", "AWS_SECRET_ACCESS_KEY"} & set(environment)
    assert environment["JAVA_HOME"] == "/usr/lib/jvm/java-17" and environment["PATH"] == "/usr/bin:/bin"
    assert environment["FLINK_CONF_DIR"] == "conf"
    assert environment["TMPDIR"] == environment["HOME"] == str(cluster_dir / "tmp")
    assert environment["JVM_ARGS"] == f"-Djava.io.tmpdir={cluster_dir / 'tmp'}"


def test_only_a_user_switch_goes_through_the_launcher(tmp_path: Path) -> None:
    data_dir, hidden = tmp_path / "data", tmp_path / "credentials.json"
    argv = ["bash", "jobmanager.sh", "start-foreground"]
    assert ClusterSandbox(data_dir).command(argv, data_dir / "flink", "python3") == argv

    command = ClusterSandbox(data_dir, "nobody", (hidden,)).command(argv, data_dir / "flink", "python3")
    separator = command.index("--")
    assert command[:4] == ["python3", *LAUNCHER_FLAGS, LAUNCHER]
    assert LAUNCHER.endswith("stream_runtime/process/confine.py")
    assert command[separator + 1 :] == [shutil.which("bash"), "jobmanager.sh", "start-foreground"]
    sandbox = json.loads(command[4])
    assert sandbox["user"] == "nobody" and sandbox["sized"] is False
    assert set(sandbox["hidden"]) == {str(data_dir), str(hidden)}
    assert {Path(path).name for path in sandbox["exposed"]} == {
        "flink",
        "state",
        "enhanced-snapshots",
        "code",
        "flink-adapter",
    }


def test_preparing_creates_the_folders_the_cluster_is_shown(tmp_path: Path) -> None:
    ClusterSandbox(tmp_path).prepare(tmp_path / "flink")
    assert {path.name for path in tmp_path.iterdir()} == {
        "state",
        "enhanced-snapshots",
        "code",
        "flink-adapter",
    }
