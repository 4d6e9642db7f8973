"""How ``make test`` shares test files between its two workers (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FLINK_JVM_MARK, scheduling_scope

ROOT = Path(__file__).resolve().parents[2]


def test_every_file_that_starts_flink_jvms_shares_one_scope_and_the_others_run_whole() -> None:
    jvm_files = [
        "tests/flink/test_java_job.py",
        "tests/flink/test_same_story.py",
        "tests/flink/test_adapter_contract.py",
        "tests/runtime/pyflink/test_differential_flink.py",
    ]
    for path in jvm_files:
        assert scheduling_scope(f"{path}::test_x[param]", ROOT) == FLINK_JVM_MARK, path
    fake_only = "tests/flink/test_adapter_rest.py"
    assert scheduling_scope(f"{fake_only}::test_y", ROOT) == fake_only
    assert scheduling_scope("tests/api/test_gateway.py::test_z", ROOT) == "tests/api/test_gateway.py"


def test_a_file_is_marked_only_by_its_declaration(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("import pytest\npytestmark = pytest.mark.flink_jvm\n")
    (tmp_path / "tests" / "test_b.py").write_text("import pytest\n")
    assert scheduling_scope("tests/test_a.py::t", tmp_path) == FLINK_JVM_MARK
    assert scheduling_scope("tests/test_b.py::t", tmp_path) == "tests/test_b.py"
    assert scheduling_scope("tests/missing.py::t", tmp_path) == "tests/missing.py"
