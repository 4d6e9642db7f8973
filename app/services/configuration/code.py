"""The application code block: ``ApplicationCodeConfigurationDescription`` at creation and on update."""

from __future__ import annotations

from typing import Any

from api_models import errors
from api_models.models import (
    ApplicationCodeConfiguration,
    ApplicationCodeConfigurationUpdate,
    CodeContentType,
)
from app.code.source import S3CodeLocation, digest
from app.services.configuration.wire import is_sql, is_zeppelin
from app.services.inline_code import CodeIntake
from app.services.shapes import merge_update, shape


def describe_code(runtime: str, code: ApplicationCodeConfiguration, code_store: CodeIntake) -> dict[str, Any]:
    """``ApplicationCodeConfigurationDescription`` for code given at creation."""
    content = code.code_content
    if content is None:
        raise errors.InvalidArgumentException("ApplicationCodeConfiguration requires CodeContent")
    return describe_code_content(
        runtime,
        code.code_content_type.value,
        text=content.text_content,
        zip_bytes=content.zip_file_content,
        s3=content.s3_content_location.model_dump(mode="json", by_alias=True, exclude_none=True)
        if content.s3_content_location is not None
        else None,
        code_store=code_store,
    )


def describe_code_content(
    runtime: str,
    content_type: str,
    *,
    text: str | None,
    zip_bytes: bytes | None,
    s3: dict[str, Any] | None,
    code_store: CodeIntake,
) -> dict[str, Any]:
    given = [
        name for name, value in (("TextContent", text), ("ZipFileContent", zip_bytes), ("S3", s3)) if value
    ]
    if len(given) != 1:
        raise errors.InvalidArgumentException(
            "CodeContent must contain exactly one of TextContent, ZipFileContent or S3ContentLocation"
        )
    if content_type == CodeContentType.PLAINTEXT and text is None:
        raise errors.InvalidArgumentException("CodeContentType PLAINTEXT requires TextContent")
    if content_type == CodeContentType.ZIPFILE and text is not None:
        raise errors.InvalidArgumentException(
            "CodeContentType ZIPFILE requires ZipFileContent or S3ContentLocation"
        )
    if content_type == CodeContentType.PLAINTEXT and not is_sql(runtime) and not is_zeppelin(runtime):
        raise errors.InvalidArgumentException(
            f"CodeContentType PLAINTEXT is not supported for runtime {runtime}"
        )
    description: dict[str, Any] = {}
    if text is not None:
        described = digest(text.encode())
        description = {"TextContent": text, "CodeMD5": described.code_md5, "CodeSize": described.code_size}
    elif zip_bytes is not None:
        stored = code_store.put(zip_bytes)
        description = {"CodeMD5": stored.code_md5, "CodeSize": stored.code_size}
    elif s3 is not None:
        location = S3CodeLocation(s3["BucketARN"], s3["FileKey"], s3.get("ObjectVersion"))
        fetched = code_store.digest_s3(location)
        description = {
            "CodeMD5": fetched.code_md5,
            "CodeSize": fetched.code_size,
            "S3ApplicationCodeLocationDescription": s3,
        }
    return {"CodeContentType": content_type, "CodeContentDescription": description}


def update_code(
    runtime: str,
    current: dict[str, Any] | None,
    update: ApplicationCodeConfigurationUpdate,
    code_store: CodeIntake,
) -> dict[str, Any]:
    content_type = (
        update.code_content_type_update.value
        if update.code_content_type_update is not None
        else (current or {}).get("CodeContentType", CodeContentType.ZIPFILE.value)
    )
    content = update.code_content_update
    if content is None:
        if current is None:
            raise errors.InvalidArgumentException(
                "ApplicationCodeConfigurationUpdate requires CodeContentUpdate"
            )
        return {**current, "CodeContentType": content_type}
    s3: dict[str, Any] | None = None
    if content.s3_content_location_update is not None:
        previous = ((current or {}).get("CodeContentDescription") or {}).get(
            "S3ApplicationCodeLocationDescription", {}
        )
        s3 = merge_update(
            previous,
            content.s3_content_location_update.model_dump(mode="json", by_alias=True, exclude_none=True),
            shape("S3ContentLocationUpdate"),
            shape("S3ApplicationCodeLocationDescription"),
        )
        if "BucketARN" not in s3 or "FileKey" not in s3:
            raise errors.InvalidArgumentException(
                "S3ContentLocationUpdate requires BucketARNUpdate and FileKeyUpdate"
            )
    return describe_code_content(
        runtime,
        content_type,
        text=content.text_content_update,
        zip_bytes=content.zip_file_content_update,
        s3=s3,
        code_store=code_store,
    )
