"""The README's "Use it" sections, run verbatim (only the port changed) against ``msf-local serve``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.clients.conftest import REPO, ServeProcess, serving

README = REPO / "README.md"
EXAMPLES_README = REPO / "examples" / "README.md"
DEFAULT_URL = "http://127.0.0.1:4590"


def section_blocks(heading: str, language: str) -> list[str]:
    """The ``language`` code blocks under the README heading ``### <heading>``."""
    text = README.read_text()
    start = text.index(f"### {heading}\n")
    following = text.find("\n### ", start + 1)
    section = text[start : following if following != -1 else len(text)]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


@pytest.fixture(scope="module")
def readme_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """A fresh server, as a new user has after ``make run``."""
    with serving(tmp_path_factory.mktemp("readme") / "data") as served:
        yield served


def run_shell(script: str, server: ServeProcess, home: Path, cwd: Path = REPO) -> str:
    """Run a README shell block with bash (errexit), the venv's ``aws`` on PATH and a fresh HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "HOME": str(home),
        "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
        "AWS_PAGER": "",
    }
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace(DEFAULT_URL, server.url)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_readme_boto3_section(readme_server: ServeProcess, capsys: pytest.CaptureFixture[str]) -> None:
    (block,) = section_blocks("boto3", "python")
    exec(compile(block.replace(DEFAULT_URL, readme_server.url), "README.md", "exec"), {})
    assert capsys.readouterr().out.strip() == "READY"


def test_readme_aws_cli_section(readme_server: ServeProcess, tmp_path: Path) -> None:
    (block,) = section_blocks("AWS CLI", "sh")
    out = run_shell(block, readme_server, tmp_path)
    outputs = out.split("\n")
    assert outputs[0] == '"READY"' and outputs[1] == "2", out
    versions = json.loads("\n".join(outputs[2:]))["ApplicationVersionSummaries"]
    assert sorted(v["ApplicationVersionId"] for v in versions) == [1, 2]


def test_readme_postman_section(readme_server: ServeProcess, tmp_path: Path) -> None:
    (block,) = section_blocks("Postman", "sh")
    out = run_shell(block, readme_server, tmp_path)  # newman exits non-zero when any test fails
    assert "DescribeApplication (deleted)" in out and "assertions" in out, out


def test_readme_curl_section(readme_server: ServeProcess, tmp_path: Path) -> None:
    (block,) = section_blocks("curl, Swagger UI and OpenAPI", "sh")
    out = run_shell(block, readme_server, tmp_path)
    created, described = (json.loads(part) for part in out.replace("}{", "}\n{").splitlines())
    assert created["ApplicationDetail"]["ApplicationStatus"] == "READY"
    assert described["ApplicationDetail"]["ApplicationName"] == "curl-demo"


def test_examples_readme_put_record_works_with_the_installed_aws_cli(
    readme_server: ServeProcess, tmp_path: Path
) -> None:
    """examples/README.md's ``put-record`` block, verbatim, with the AWS CLI v1 ``make test`` installs: the
    record arrives with exactly the bytes the README shows, in the stream ``deploy.py`` creates."""
    (block,) = [
        b
        for b in re.findall(r"```bash\n(.*?)```", EXAMPLES_README.read_text(), flags=re.S)
        if "put-record" in b
    ]
    kinesis = boto3.client(
        "kinesis",
        endpoint_url=readme_server.url,
        region_name="us-east-1",
        aws_access_key_id="123456789012",  # deploy.py's account
        aws_secret_access_key="msf-local",
    )
    stream = "word-count-input"
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    try:
        out = run_shell(block, readme_server, tmp_path / "home", cwd=tmp_path)
        shard = json.loads(out)["ShardId"]
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = kinesis.get_records(ShardIterator=iterator)["Records"]
        assert [record["Data"] for record in records] == [b"to be or not to be"]
    finally:
        kinesis.delete_stream(StreamName=stream)
