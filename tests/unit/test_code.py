"""Application code: hostile archives are refused, good ones unpack once, entry file and properties."""

from __future__ import annotations

import io
import json
import os
import stat
import struct
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from api_models.errors import CodeValidationException, InvalidArgumentException
from app.code.archive import ArchiveLimits, check_archive, unpack
from app.code.flink_code import check_code
from app.code.inline import InlineCodeStore
from app.code.properties import DEFAULT_ENTRY, entry_file, write_application_properties
from app.code.source import S3CodeLocation, digest, fetch_s3_code
from app.code.store import CodeStore
from tests.api.zip_bomb import zip_bomb

RUN_OPTIONS = "kinesis.analytics.flink.run.options"
MAIN = b"print('hello from the job')\n"


def make_zip(*entries: tuple[str | zipfile.ZipInfo, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", compression) as archive:
        warnings.simplefilter("ignore")  # duplicate names are the point of one test
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def refused(data: bytes, fragment: str, limits: ArchiveLimits | None = None) -> None:
    with pytest.raises(CodeValidationException) as caught:
        check_archive(data, limits)
    assert fragment in caught.value.message
    assert caught.value.message.startswith("Invalid application code archive: ")


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("../evil.py", "escapes the code directory"),
        ("lib/../../evil.py", "escapes the code directory"),
        ("/etc/cron.d/evil", "absolute path"),
        ("C:/Windows/evil.py", "absolute path"),
        ("..\\evil.py", "backslash"),
    ],
)
def test_entries_outside_the_directory_are_refused(name: str, fragment: str) -> None:
    refused(make_zip(("main.py", MAIN), (name, b"x")), fragment)


def test_symlink_entry_is_refused() -> None:
    link = zipfile.ZipInfo("main.py")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    refused(make_zip((link, b"/etc/passwd")), "'main.py' is a symbolic link")


def test_device_entry_is_refused() -> None:
    device = zipfile.ZipInfo("dev")
    device.create_system = 3
    device.external_attr = (stat.S_IFCHR | 0o600) << 16
    refused(make_zip((device, b"")), "is a special file")


def test_regular_unix_entries_are_accepted() -> None:
    info = zipfile.ZipInfo("main.py")
    info.create_system = 3
    info.external_attr = (stat.S_IFREG | 0o755) << 16
    assert [str(path) for _, path in check_archive(make_zip((info, MAIN)))] == ["main.py"]


def test_encrypted_entry_is_refused() -> None:
    refused(_patch_central(make_zip(("main.py", MAIN)), b"main.py", 8, "<H", 0x1), "'main.py' is encrypted")


def test_duplicate_names_are_refused() -> None:
    refused(make_zip(("main.py", MAIN), ("main.py", b"other")), "appears more than once")


def test_not_a_zip_is_refused() -> None:
    refused(b"PK\x03\x04 definitely not a zip", "not a valid zip file")


def test_archive_over_the_size_limit_is_refused() -> None:
    data = make_zip(("main.py", MAIN))
    refused(data, "more than the limit of 10", ArchiveLimits(max_archive_bytes=10))


def test_too_many_entries_are_refused() -> None:
    data = make_zip(*[(f"f{i}.py", b"") for i in range(5)])
    refused(data, "5 entries, more than the limit of 4", ArchiveLimits(max_entries=4))


def test_zip_bomb_by_ratio_is_refused() -> None:
    refused(make_zip(("main.py", MAIN), ("zeros.bin", bytes(4 * 1024 * 1024))), "expands")


def test_zip_bomb_by_total_size_is_refused() -> None:
    data = make_zip(*[(f"part{i}.txt", bytes(range(256)) * 400) for i in range(4)], ("main.py", MAIN))
    refused(data, "unpacks to", ArchiveLimits(max_total_bytes=300_000))


def test_zip_bomb_of_many_small_entries_is_refused_by_the_archive_ratio() -> None:
    refused(zip_bomb(), "it unpacks to 500000015 bytes, 921 times its own 542627 bytes")
    assert len(check_archive(zip_bomb(entries=50))) == 51  # 50 MB: under the 64 MiB the ratio spares


def test_code_that_unpacks_past_the_per_application_limit_is_refused() -> None:
    data = make_zip(("main.py", MAIN), ("data.bin", os.urandom(2000)))
    refused(
        data, "more than the limit of 1000 bytes of unpacked code per", ArchiveLimits(max_total_bytes=1000)
    )


def test_a_jar_is_kept_whole_so_only_its_own_size_counts() -> None:
    classes = [(f"lib/C{n}.class", bytes(5000)) for n in range(5)]
    jar = make_zip(("META-INF/MANIFEST.MF", b"Main-Class: Job\n"), ("Job.class", b"\xca\xfe"), *classes)
    tight = ArchiveLimits(max_entries=3, max_total_bytes=100, ratio_floor_bytes=0, max_ratio=1)
    check_code(jar, tight)  # a fat JAR has more entries and unpacks to more than it weighs
    with pytest.raises(CodeValidationException, match="7 entries, more than the limit of 3"):
        check_code(make_zip(("main.py", MAIN), *classes[:4], ("x.py", b""), ("y.py", b"")), tight)
    with pytest.raises(CodeValidationException, match="more than the limit of 10"):
        check_code(jar, ArchiveLimits(max_archive_bytes=10))


def test_highly_compressible_small_files_are_fine() -> None:
    data = make_zip(("main.py", MAIN), ("blank.txt", bytes(512 * 1024)))
    assert len(check_archive(data)) == 2


def _patch_central(data: bytes, name: bytes, offset: int, layout: str, value: int) -> bytes:
    """Rewrite one field of ``name``'s central directory header (offset from the header start)."""
    position = data.index(b"PK\x01\x02")
    while True:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + name_length] == name:
            end = position + offset + struct.calcsize(layout)
            return data[: position + offset] + struct.pack(layout, value) + data[end:]
        position = data.index(b"PK\x01\x02", position + 4)


def test_archive_that_lies_about_its_sizes_is_stopped_while_unpacking(tmp_path: Path) -> None:
    honest = make_zip(("main.py", MAIN), ("data.txt", b"abc" * 10_000))
    lying = _patch_central(honest, b"data.txt", 24, "<I", 100)  # the uncompressed size
    assert len(check_archive(lying)) == 2  # the declared sizes look harmless
    with pytest.raises(CodeValidationException) as caught:
        unpack(lying, tmp_path / "out")
    assert "'data.txt' cannot be read" in caught.value.message


def test_file_and_directory_with_the_same_name_clash(tmp_path: Path) -> None:
    data = make_zip(("lib", b"a file"), ("lib/mod.py", b"x"))
    with pytest.raises(CodeValidationException) as caught:
        unpack(data, tmp_path / "out")
    assert "'lib/mod.py' cannot be written" in caught.value.message


def test_unpack_writes_the_files(tmp_path: Path) -> None:
    data = make_zip(("main.py", MAIN), ("pkg/", b""), ("pkg/util.py", b"X = 1\n"))
    files = unpack(data, tmp_path / "out")
    assert sorted(map(str, files)) == ["main.py", "pkg/util.py"]
    assert (tmp_path / "out" / "pkg" / "util.py").read_bytes() == b"X = 1\n"


# ---- entry file and properties ------------------------------------------------------------------


def test_entry_file_defaults_to_main_py() -> None:
    assert entry_file([]) == DEFAULT_ENTRY == "main.py"
    assert entry_file([{"PropertyGroupId": "other", "PropertyMap": {"python": "x.py"}}]) == "main.py"


def test_entry_file_from_the_run_options_group() -> None:
    groups = [
        {"PropertyGroupId": "kinesis.analytics.flink.run.options", "PropertyMap": {"python": "src/job.py"}}
    ]
    assert entry_file(groups) == "src/job.py"


def test_entry_file_must_stay_inside_the_code() -> None:
    groups = [
        {"PropertyGroupId": "kinesis.analytics.flink.run.options", "PropertyMap": {"python": "../x.py"}}
    ]
    with pytest.raises(CodeValidationException) as caught:
        entry_file(groups)
    assert "must be a relative path inside the application code" in caught.value.message


def test_application_properties_file_has_the_aws_format(tmp_path: Path) -> None:
    groups = [
        {
            "PropertyGroupId": "ConsumerConfig",
            "PropertyMap": {"input.stream.name": "in", "aws.region": "us-east-1"},
        },
        {"PropertyGroupId": "kinesis.analytics.flink.run.options", "PropertyMap": {"python": "main.py"}},
    ]
    path = write_application_properties(groups, tmp_path / "job")
    assert path.name == "application_properties.json"
    assert json.loads(path.read_text()) == groups
    write_application_properties(groups[:1], tmp_path / "job")
    assert json.loads(path.read_text()) == groups[:1]
    assert [p.name for p in (tmp_path / "job").iterdir()] == ["application_properties.json"]


# ---- store -------------------------------------------------------------------------------------


def test_store_prepares_code_once_and_reuses_it(tmp_path: Path) -> None:
    store = CodeStore(tmp_path / "code")
    data = make_zip(("main.py", MAIN))
    first = store.prepare(data, "main.py")
    assert first.entry_path.read_bytes() == MAIN
    second = store.prepare(data, "main.py")
    assert second == first
    assert [p.name for p in (tmp_path / "code").iterdir()] == [first.root.name]


def test_code_in_a_file_is_prepared_and_digested_as_in_memory(tmp_path: Path) -> None:
    store = CodeStore(tmp_path / "code")
    data = make_zip(("main.py", MAIN))
    jar = make_zip(("META-INF/MANIFEST.MF", b"Main-Class: Job\n"), ("Job.class", b"\xca\xfe"))
    (tmp_path / "code.zip").write_bytes(data)
    (tmp_path / "job.jar").write_bytes(jar)
    assert store.prepare(tmp_path / "code.zip", "main.py") == store.prepare(data, "main.py")
    kept = store.prepare_jar(tmp_path / "job.jar")
    assert kept == store.prepare_jar(jar) and kept.entry_path.read_bytes() == jar
    assert digest(tmp_path / "code.zip") == digest(data)


def test_store_refuses_code_without_the_entry_file(tmp_path: Path) -> None:
    store = CodeStore(tmp_path / "code")
    data = make_zip(("job.py", MAIN))
    with pytest.raises(CodeValidationException) as caught:
        store.validate(data, "main.py")
    assert "The entry file 'main.py'" in caught.value.message
    with pytest.raises(CodeValidationException):
        store.prepare(data, "main.py")
    assert not (tmp_path / "code").exists() or not any((tmp_path / "code").iterdir())


def test_store_refuses_hostile_code_without_writing(tmp_path: Path) -> None:
    store = CodeStore(tmp_path / "code")
    with pytest.raises(CodeValidationException):
        store.prepare(make_zip(("main.py", MAIN), ("../../escape.py", b"x")), "main.py")
    assert not (tmp_path / "escape.py").exists()
    assert not (tmp_path / "code").exists()


def test_reclaim_spares_code_that_is_held_recent_or_possibly_in_use(tmp_path: Path) -> None:
    store = CodeStore(tmp_path / "code")
    held = store.prepare(make_zip(("main.py", MAIN)), "main.py")
    jar = store.prepare_jar(make_zip(("META-INF/MANIFEST.MF", b"Main-Class: Job\n"), ("Job.class", b"")))
    store.hold("job-1", held)
    scratch = Path(tempfile.mkdtemp(dir=store.root, prefix=".unpack-"))  # an interrupted prepare
    later = time.time() + 60
    assert store.reclaim({"job-1"}, time.time() - 60) == []  # everything was used within the grace
    assert store.reclaim({"job-1", "job-2"}, later) == []  # job-2 runs from code nothing recorded
    assert store.reclaim({"job-1"}, later) == sorted([jar.root.name, scratch.name])
    assert held.entry_path.read_bytes() == MAIN
    assert store.reclaim(set(), later) == [held.root.name]
    assert [path.name for path in store.root.iterdir()] == [".jobs"]
    assert not any((store.root / ".jobs").iterdir())


def test_inline_reclaim_keeps_named_and_just_saved_archives(tmp_path: Path) -> None:
    store = InlineCodeStore(tmp_path / "inline")
    store.save("a", b"first")
    store.save("b", b"second")
    an_hour_ago = time.time() - 3600
    for name in ("a", "b"):
        os.utime(store.path(name), (an_hour_ago, an_hour_ago))
    store.save("b", b"second")  # saved again by a new version: touched
    assert store.reclaim({"c"}, time.time() - 60) == ["a.zip"]
    assert store.reclaim({"b"}, time.time() + 60) == []
    assert store.path("b").read_bytes() == b"second"


# ---- digest and S3 -----------------------------------------------------------------------------


def test_digest_is_128_characters_and_the_size_in_bytes() -> None:
    value = digest(b"abc")
    assert len(value.code_md5) == 128 and int(value.code_md5, 16) >= 0
    assert value.code_size == 3
    assert digest(b"abd").code_md5 != value.code_md5


def test_bucket_arn_must_be_an_s3_bucket_arn() -> None:
    assert S3CodeLocation("arn:aws:s3:::my-bucket", "k").bucket == "my-bucket"
    with pytest.raises(InvalidArgumentException):
        _ = S3CodeLocation("arn:aws:sqs:us-east-1:123456789012:q", "k").bucket


def _fetched(s3: object, location: S3CodeLocation, target: Path, max_bytes: int | None = None) -> bytes:
    if max_bytes is None:
        fetch_s3_code(s3, location, target)
    else:
        fetch_s3_code(s3, location, target, max_bytes)
    return target.read_bytes()


@mock_aws
def test_fetch_code_from_s3_by_key_and_version(tmp_path: Path) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="code")
    s3.put_bucket_versioning(Bucket="code", VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket="code", Key="app.zip", Body=b"v1")["VersionId"]
    s3.put_object(Bucket="code", Key="app.zip", Body=b"v2")
    assert _fetched(s3, S3CodeLocation("arn:aws:s3:::code", "app.zip"), tmp_path / "latest") == b"v2"
    assert _fetched(s3, S3CodeLocation("arn:aws:s3:::code", "app.zip", first), tmp_path / "first") == b"v1"


@mock_aws
def test_fetch_missing_code_is_a_code_validation_error(tmp_path: Path) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="code")
    with pytest.raises(CodeValidationException) as caught:
        fetch_s3_code(s3, S3CodeLocation("arn:aws:s3:::code", "missing.zip"), tmp_path / "code")
    assert "s3://code/missing.zip does not exist" in caught.value.message
    with pytest.raises(CodeValidationException):
        fetch_s3_code(s3, S3CodeLocation("arn:aws:s3:::no-such-bucket", "app.zip"), tmp_path / "code")


@mock_aws
def test_fetch_refuses_oversized_code(tmp_path: Path) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="code")
    s3.put_object(Bucket="code", Key="big.zip", Body=b"x" * 100)
    with pytest.raises(CodeValidationException) as caught:
        fetch_s3_code(s3, S3CodeLocation("arn:aws:s3:::code", "big.zip"), tmp_path / "code", max_bytes=50)
    assert "100 bytes, more than the limit of 50" in caught.value.message
