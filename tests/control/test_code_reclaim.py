"""Code nothing needs any more is removed from disk by the loop; code a job or a rollback needs stays."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

from tests.api.app_helpers import python_zip
from tests.control.conftest import ControlEnv
from tests.control.test_rollback import roll_back, settle


def _code(name: str) -> bytes:
    return python_zip({"main.py": f"print({name!r})\n"})


def _archive(code: bytes) -> str:
    return f"{hashlib.sha512(code).hexdigest()}.zip"


def _unpacked(code: bytes) -> str:
    return hashlib.sha256(code).hexdigest()


def _code_update(code: bytes) -> dict[str, Any]:
    return {
        "ApplicationConfigurationUpdate": {
            "ApplicationCodeConfigurationUpdate": {"CodeContentUpdate": {"ZipFileContentUpdate": code}}
        }
    }


def _on_disk(control: ControlEnv) -> tuple[set[str], set[str]]:
    """The inline archives and the unpacked code directories in the data directory."""

    def names(root: Path) -> set[str]:
        return (
            {path.name for path in root.iterdir() if not path.name.startswith(".")}
            if root.is_dir()
            else set()
        )

    return names(control.settings.data_dir / "inline-code"), names(control.settings.data_dir / "code")


def _reclaim(control: ControlEnv) -> set[str]:
    """An hour later (every file older than the grace period), the next reclaiming tick: what it removed."""
    an_hour_ago = time.time() - 3600
    for store in ("inline-code", "code", "code/.jobs"):
        root = control.settings.data_dir / store
        for path in root.iterdir() if root.is_dir() else ():
            os.utime(path, (an_hour_ago, an_hour_ago))
    control.clock.advance(61)
    return set(control.tick().reclaimed)


def test_code_of_deleted_and_superseded_versions_goes_but_never_what_a_job_or_a_rollback_needs(
    control: ControlEnv,
) -> None:
    x, y, z = _code("x"), _code("y"), _code("z")
    control.create("a", code=x)
    control.create("b", code=x)
    control.create("c", code=y)
    control.start("b")
    settle(control)
    assert control.status("b") == "RUNNING"
    control.delete("a")
    control.delete("c")
    control.clock.advance(61)
    assert control.tick().reclaimed == []  # just used: within the grace period
    assert _reclaim(control) == {_archive(y)}  # c's code; x is b's
    assert _on_disk(control) == ({_archive(x)}, {_unpacked(x)})

    control.update("b", **_code_update(z))
    settle(control)
    assert (control.status("b"), control.describe("b")["ApplicationVersionId"]) == ("RUNNING", 2)
    assert _reclaim(control) == {_unpacked(x)}  # no job runs x; its archive stays for a rollback
    assert _on_disk(control) == ({_archive(x), _archive(z)}, {_unpacked(z)})

    roll_back(control, "b")
    settle(control)
    assert (control.status("b"), control.describe("b")["ApplicationVersionId"]) == ("RUNNING", 3)
    assert (control.job().spec.code.root / "main.py").read_text() == "print('x')\n"
    assert _reclaim(control) == {_archive(z), _unpacked(z)}  # version 2 can no longer come back

    control.delete("b")  # RUNNING: the loop force-stops the job it leaves behind
    assert _reclaim(control) == {_archive(x)}
    assert _on_disk(control) == (set(), {_unpacked(x)})  # the job still runs from it
    settle(control)
    assert control.deployments() == []
    assert _reclaim(control) == {_unpacked(x)}
    assert _on_disk(control) == (set(), set())
    assert not any((control.settings.data_dir / "code" / ".jobs").iterdir())
