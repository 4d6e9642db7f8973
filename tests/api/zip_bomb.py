"""The zip bomb of issue 15, built in memory in milliseconds: 500 entries of 1 MB of zeros (500 MB
unpacked) whose one deflated stream is written 500 times, plus a ``main.py`` so nothing else is wrong."""

from __future__ import annotations

import struct
import zlib

ENTRY_BYTES = 1_000_000
ENTRIES = 500
_DOS_DATE = 0x21  # 1980-01-01


def zip_bomb(entries: int = ENTRIES, entry_bytes: int = ENTRY_BYTES) -> bytes:
    """A valid zip: ``main.py`` and ``entries`` x ``entry_bytes`` zero bytes, deflated (~540 KB)."""
    zeros = bytes(entry_bytes)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = compressor.compress(zeros) + compressor.flush()
    main = b"print('hello')\n"
    members = [("main.py", 0, main, main, zlib.crc32(main))]
    crc = zlib.crc32(zeros)
    members += [(f"data/{n:03}.bin", 8, deflated, zeros, crc) for n in range(entries)]
    body, central = bytearray(), bytearray()
    for name, method, stored, plain, checksum in members:
        encoded = name.encode()
        sizes = (checksum, len(stored), len(plain), len(encoded))
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            method,
            0,
            _DOS_DATE,
            *sizes,
            0,
            0,
            0,
            0,
            0,
            len(body),
        )
        central += encoded
        body += (
            struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, _DOS_DATE, *sizes, 0) + encoded + stored
        )
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(body), 0)
    return bytes(body + central + end)
