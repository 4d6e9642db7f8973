"""Safe unpacking of application code zips: every entry is checked before anything is written.

Refused (``CodeValidationException``): not a zip, encrypted entries, absolute paths, entries that
escape the target directory, links and other special files, duplicate names, and archives whose
entry count, total uncompressed size or compression ratio exceed the limits (zip bombs). Sizes
declared in the central directory are checked first; the bytes actually written are counted too,
so an archive that lies about its sizes is stopped while it is being extracted.

The limits (``ArchiveLimits``, documented for users in docs/security.md "Disk bounds"): code of at
most 512 MiB (AWS's limit for an application JAR; inline ``ZipFileContent`` is capped at 50 MiB by
the API), unpacking to at most 1 GiB in at most 25,000 entries, and no more than 100 times the
archive's own size once it unpacks to more than 64 MiB — a 539 KB zip cannot become 500 MB.
"""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from api_models.errors import CodeValidationException

MIB = 1024 * 1024
MAX_INLINE_CODE_BYTES = 52_428_800
"""Largest inline code AWS accepts (``ZipFileContent`` max, 50 MiB)."""
MAX_CODE_BYTES = 512 * MIB
"""Largest application code (an S3 object): AWS runs JAR files of up to 512 MB."""

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds on what a code archive may unpack to."""

    max_archive_bytes: int = MAX_CODE_BYTES
    max_entries: int = 25_000
    max_total_bytes: int = 1024 * MIB
    """What one application's code may unpack to."""
    max_ratio: int = 100
    """Unpacked size / archive size, for archives that unpack to more than ``ratio_floor_bytes``."""
    ratio_floor_bytes: int = 64 * MIB
    max_entry_ratio: int = 200
    entry_ratio_floor_bytes: int = MIB  # entries smaller than this are not ratio-checked


CodeData = bytes | Path
"""Application code in memory (a small inline archive) or in a file (a kept archive, an S3 download)."""


def code_size(data: CodeData) -> int:
    """The code's size in bytes."""
    return len(data) if isinstance(data, bytes) else data.stat().st_size


def code_hexdigest(data: CodeData, algorithm: str) -> str:
    """The code's hex digest with ``algorithm`` (a ``hashlib`` name), read in chunks from a file."""
    if isinstance(data, bytes):
        return hashlib.new(algorithm, data).hexdigest()
    with open(data, "rb") as stream:
        return hashlib.file_digest(stream, algorithm).hexdigest()


def zip_file(data: CodeData) -> zipfile.ZipFile:
    """``data`` opened as a zip (``zipfile`` errors for anything else)."""
    return zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)


def _refuse(message: str) -> CodeValidationException:
    return CodeValidationException(f"Invalid application code archive: {message}")


def open_zip(data: CodeData, limits: ArchiveLimits) -> zipfile.ZipFile:
    """The zip in ``data``, or ``CodeValidationException`` if it is not one or is too large."""
    size = code_size(data)
    if size > limits.max_archive_bytes:
        raise _refuse(f"the archive is {size} bytes, more than the limit of {limits.max_archive_bytes}")
    try:
        return zip_file(data)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise _refuse(f"not a valid zip file ({exc})") from None


def safe_member_path(name: str) -> PurePosixPath:
    """The relative path an entry unpacks to; refuses absolute paths, drive letters and ``..``."""
    if "\\" in name:
        raise _refuse(f"entry '{name}' contains a backslash")
    if "\x00" in name:
        raise _refuse(f"entry '{name}' contains a NUL character")
    path = PurePosixPath(name)
    if path.is_absolute() or (path.parts and ":" in path.parts[0]):
        raise _refuse(f"entry '{name}' has an absolute path")
    if ".." in path.parts:
        raise _refuse(f"entry '{name}' escapes the code directory")
    if not path.parts or path == PurePosixPath("."):
        raise _refuse(f"entry '{name}' has an empty path")
    return path


def _check_entry(info: zipfile.ZipInfo, limits: ArchiveLimits) -> PurePosixPath:
    path = safe_member_path(info.filename)
    mode = info.external_attr >> 16
    if info.create_system == 3 and mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        kind = "a symbolic link" if stat.S_ISLNK(mode) else "a special file"
        raise _refuse(f"entry '{info.filename}' is {kind}")
    if info.flag_bits & 0x1:
        raise _refuse(f"entry '{info.filename}' is encrypted")
    if info.file_size > limits.entry_ratio_floor_bytes:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_entry_ratio:
            raise _refuse(
                f"entry '{info.filename}' expands {ratio:.0f}:1, "
                f"more than the limit of {limits.max_entry_ratio}:1"
            )
    return path


def _check_unpacked_size(declared: int, archive_bytes: int, limits: ArchiveLimits) -> None:
    if declared > limits.max_total_bytes:
        raise _refuse(
            f"it unpacks to {declared} bytes, more than the limit of {limits.max_total_bytes} bytes "
            "of unpacked code per application"
        )
    ratio = declared / max(archive_bytes, 1)
    if declared > limits.ratio_floor_bytes and ratio > limits.max_ratio:
        raise _refuse(
            f"it unpacks to {declared} bytes, {ratio:.0f} times its own {archive_bytes} bytes; code that "
            f"unpacks to more than {limits.ratio_floor_bytes} bytes may expand at most {limits.max_ratio}:1"
        )


Entry = tuple[zipfile.ZipInfo, PurePosixPath]


def check_archive(data: CodeData, limits: ArchiveLimits | None = None) -> list[Entry]:
    """Validate every entry of the zip in ``data`` without writing anything; entries and their paths."""
    limits = limits or ArchiveLimits()
    with open_zip(data, limits) as archive:
        infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise _refuse(f"{len(infos)} entries, more than the limit of {limits.max_entries}")
    _check_unpacked_size(sum(info.file_size for info in infos), code_size(data), limits)
    checked: list[Entry] = []
    seen: set[PurePosixPath] = set()
    for info in infos:
        path = _check_entry(info, limits)
        if path in seen:
            raise _refuse(f"entry '{info.filename}' appears more than once")
        seen.add(path)
        checked.append((info, path))
    return checked


def unpack(data: CodeData, destination: Path, limits: ArchiveLimits | None = None) -> list[PurePosixPath]:
    """Unpack the zip in ``data`` into the (new or empty) directory ``destination``; the files written."""
    limits = limits or ArchiveLimits()
    entries = check_archive(data, limits)
    root = destination.resolve()
    root.mkdir(parents=True, exist_ok=True)
    written_total = 0
    files: list[PurePosixPath] = []
    with open_zip(data, limits) as archive:
        for info, relative in entries:
            target = root.joinpath(*relative.parts)
            if not target.resolve().is_relative_to(root):
                raise _refuse(f"entry '{info.filename}' escapes the code directory")
            written = 0
            try:
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, open(target, "xb") as sink:
                    while chunk := source.read(_CHUNK):
                        written += len(chunk)
                        written_total += len(chunk)
                        if written > info.file_size or written_total > limits.max_total_bytes:
                            raise _refuse(f"entry '{info.filename}' unpacks to more than it declares")
                        sink.write(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                raise _refuse(f"entry '{info.filename}' cannot be read ({exc})") from None
            except OSError as exc:
                raise _refuse(f"entry '{info.filename}' cannot be written ({exc.strerror})") from None
            files.append(relative)
    return files
