"""Disk bounds at the API (issue 15): a zip bomb is refused wherever code is accepted, and nothing stays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api.app_helpers import aws_error, create_flink, python_zip
from tests.api.zip_bomb import zip_bomb
from tests.conftest import LiveServer

REFUSAL = ("Invalid application code archive: it unpacks to 500000015 bytes", "may expand at most 100:1")


def _zip_code(content: bytes) -> dict[str, Any]:
    return {
        "ApplicationCodeConfiguration": {
            "CodeContentType": "ZIPFILE",
            "CodeContent": {"ZipFileContent": content},
        }
    }


def _files(root: Path) -> dict[str, int]:
    return {str(path.relative_to(root)): path.stat().st_size for path in root.rglob("*") if path.is_file()}


def test_zip_bomb_is_refused_at_create_and_update_and_leaves_nothing_on_disk(
    live_server: LiveServer, kav2: Any
) -> None:
    bomb = zip_bomb()
    assert len(bomb) < 550_000  # 500 x 1 MB of zeros deflate to ~540 KB
    with aws_error("CodeValidationException", *REFUSAL):
        create_flink(kav2, "bomb-inline", ApplicationConfiguration=_zip_code(bomb))
    s3 = live_server.client("s3")
    s3.create_bucket(Bucket="bombs")
    s3.put_object(Bucket="bombs", Key="bomb.zip", Body=bomb)
    location = {"BucketARN": "arn:aws:s3:::bombs", "FileKey": "bomb.zip"}
    with aws_error("CodeValidationException", *REFUSAL):
        create_flink(
            kav2,
            "bomb-s3",
            ApplicationConfiguration={
                "ApplicationCodeConfiguration": {
                    "CodeContentType": "ZIPFILE",
                    "CodeContent": {"S3ContentLocation": location},
                }
            },
        )
    good = python_zip()
    detail = create_flink(kav2, "good", ApplicationConfiguration=_zip_code(good))
    md5 = detail["ApplicationConfigurationDescription"]["ApplicationCodeConfigurationDescription"][
        "CodeContentDescription"
    ]["CodeMD5"]
    updates: list[dict[str, Any]] = [
        {"ZipFileContentUpdate": bomb},
        {"S3ContentLocationUpdate": {"BucketARNUpdate": location["BucketARN"], "FileKeyUpdate": "bomb.zip"}},
    ]
    for update in updates:
        with aws_error("CodeValidationException", *REFUSAL):
            kav2.update_application(
                ApplicationName="good",
                CurrentApplicationVersionId=1,
                ApplicationConfigurationUpdate={
                    "ApplicationCodeConfigurationUpdate": {"CodeContentUpdate": update}
                },
            )
    assert kav2.describe_application(ApplicationName="good")["ApplicationDetail"]["ApplicationVersionId"] == 1
    names = [a["ApplicationName"] for a in kav2.list_applications()["ApplicationSummaries"]]
    assert names == ["good"]
    data_dir = live_server.settings.data_dir
    assert _files(data_dir / "inline-code") == {f"{md5}.zip": len(good)}
    assert not (data_dir / "code").exists()
    written = sum(_files(data_dir).values())
    assert written < 10 * 1024 * 1024, f"{written} bytes in the data directory"
