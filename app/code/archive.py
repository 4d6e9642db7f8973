"""Safe unpacking of application code zips: every entry is checked before anything is written.

Refused (``CodeValidationException``): not a zip, encrypted entries, absolute paths, entries that
escape the target directory, links and other special files, duplicate names, and archives whose
entry count, total uncompressed size or compression ratio exceed the limits (zip bombs). Sizes
declared in the central directory are checked first; the bytes actually written are counted too,
so an archive that lies about its sizes is stopped while it is being extracted.
"""

from __future__ import annotations

import io
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from api_models.errors import CodeValidationException

MAX_CODE_BYTES = 52_428_800
"""Largest application code AWS accepts (``CodeSize`` / ``ZipFileContent`` max, 50 MiB)."""

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds on what a code archive may unpack to."""

    max_archive_bytes: int = MAX_CODE_BYTES
    max_entries: int = 10_000
    max_total_bytes: int = 512 * 1024 * 1024
    max_ratio: int = 200
    ratio_floor_bytes: int = 1024 * 1024  # entries smaller than this are not ratio-checked


def _refuse(message: str) -> CodeValidationException:
    return CodeValidationException(f"Invalid application code archive: {message}")


def open_zip(data: bytes, limits: ArchiveLimits) -> zipfile.ZipFile:
    """The zip in ``data``, or ``CodeValidationException`` if it is not one or is too large."""
    if len(data) > limits.max_archive_bytes:
        raise _refuse(f"the archive is {len(data)} bytes, more than the limit of {limits.max_archive_bytes}")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
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
    if info.file_size > limits.ratio_floor_bytes:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio:
            raise _refuse(
                f"entry '{info.filename}' expands {ratio:.0f}:1, more than the limit of {limits.max_ratio}:1"
            )
    return path


Entry = tuple[zipfile.ZipInfo, PurePosixPath]


def check_archive(data: bytes, limits: ArchiveLimits | None = None) -> list[Entry]:
    """Validate every entry of the zip in ``data`` without writing anything; entries and their paths."""
    limits = limits or ArchiveLimits()
    with open_zip(data, limits) as archive:
        infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise _refuse(f"{len(infos)} entries, more than the limit of {limits.max_entries}")
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_total_bytes:
        raise _refuse(f"unpacks to {declared} bytes, more than the limit of {limits.max_total_bytes}")
    checked: list[Entry] = []
    seen: set[PurePosixPath] = set()
    for info in infos:
        path = _check_entry(info, limits)
        if path in seen:
            raise _refuse(f"entry '{info.filename}' appears more than once")
        seen.add(path)
        checked.append((info, path))
    return checked


def unpack(data: bytes, destination: Path, limits: ArchiveLimits | None = None) -> list[PurePosixPath]:
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
