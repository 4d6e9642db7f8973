"""The job sandbox: what a job process may see, touch and use, applied just before the job's code runs.

A sandboxed job is launched through ``python <this file> CONFIG -- ARGV``: this small launcher (run as a
file, so that it imports the standard library only) applies the limits of :class:`JobSandbox` to itself,
then execs ARGV (the job process: same pid, same parent, same control channel), so nothing of the
job's code ever runs with more than the sandbox allows. In order:

1. resource limits, from the application's KPUs: ``RLIMIT_DATA`` (memory: every heap and anonymous mapping;
   file mappings and the interpreter's shared libraries do not count), ``RLIMIT_FSIZE`` (the largest file it
   may write), no core dumps, and a CPU affinity of as many CPUs as it has vCPUs; no new privileges
   (``PR_SET_NO_NEW_PRIVS``: setuid programs such as ``su`` gain nothing);
2. when the launcher runs as root and a ``user`` is set: a private mount namespace in which ``/proc`` shows
   only the job user's own processes (``hidepid=2``: not the server's command line), every directory of
   ``hidden`` (the data directory) is replaced by an empty ``tmpfs`` holding only the paths the job needs
   (its own working, checkpoint and savepoint directories), every file of ``hidden`` (the database, the
   credentials file) by an empty file nobody may open, and a directory the user could not pass on the
   way to the interpreter or to those paths (``/root`` for a Python installed there) is replaced in the same
   way; then the supplementary groups, the group and the user are switched.

Nothing here is a security boundary against the kernel: see "Job sandbox" in docs/security.md.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import pwd
import resource
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

GIB = 1024**3
MEMORY_PER_KPU = 4 * GIB  # AWS: 1 vCPU, 4 GiB of memory and 50 GiB of running storage per KPU
STORAGE_PER_KPU = 50 * GIB
PR_SET_NO_NEW_PRIVS = 38
PROBE = "--probe-isolation"
CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 32, 4096, 8192, 16384, 1 << 18
BASE_ENVIRONMENT = (
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "PYTHONPATH",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONUNBUFFERED",
    "PYTHONHASHSEED",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "AWS_CA_BUNDLE",
    "REQUESTS_CA_BUNDLE",
)


class SandboxError(OSError):
    """The sandbox could not be set up; the job is not run."""


@dataclass(frozen=True)
class JobSandbox:
    """How one job process is confined (persisted with its spec, so a restarted job gets the same).

    ``kpus`` sizes the resource limits; ``spread`` picks the first of its CPUs. ``user`` is the account the
    job runs as when the launcher is root (ignored otherwise). ``workdir`` is the job's own directory
    (``<workdir>/tmp``: its home and temp dir); ``exposed`` the paths it needs besides the interpreter (its
    code, checkpoints, savepoints); ``hidden`` what it must not see beyond those paths (the data dir)."""

    kpus: int = 1
    spread: int = 0
    user: str | None = None
    workdir: str | None = None
    exposed: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    storage_per_kpu: int = STORAGE_PER_KPU  # smaller in tests (settings: ``storage_per_kpu``)
    sized: bool = True  # False: no KPU-sized limits (a local Flink cluster, sized by Flink's own settings)

    @property
    def memory_bytes(self) -> int:
        """The job's memory (``RLIMIT_DATA``): 4 GiB per KPU."""
        return self.kpus * MEMORY_PER_KPU

    @property
    def storage_bytes(self) -> int:
        """The job's running application storage: 50 GiB per KPU, in total (:mod:`.storage_guard`) and so
        for its largest file (``RLIMIT_FSIZE``)."""
        return self.kpus * self.storage_per_kpu

    def to_json(self) -> str:
        """The sandbox as the launcher reads it."""
        return json.dumps(asdict(self))

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> JobSandbox:
        """Inverse of ``asdict`` (lists back to tuples)."""
        return cls(
            kpus=int(document.get("kpus", 1)),
            spread=int(document.get("spread", 0)),
            user=document.get("user"),
            workdir=document.get("workdir"),
            exposed=tuple(document.get("exposed", ())),
            hidden=tuple(document.get("hidden", ())),
            storage_per_kpu=int(document.get("storage_per_kpu", STORAGE_PER_KPU)),
            sized=bool(document.get("sized", True)),
        )

    def switches_user(self) -> bool:
        """Whether the job runs as ``user`` (only root can switch)."""
        return bool(self.user) and os.geteuid() == 0

    def environment(self, job_environment: dict[str, str], parent: dict[str, str]) -> dict[str, str]:
        """The job's whole environment: the few neutral variables of ``parent`` (``PATH``, locale,
        ``PYTHONPATH``, CA bundles), its home and temporary directory, and what the control plane gives it
        (its region, its account's credentials and endpoint, its log settings) — nothing else of the server's
        (no database URL, no credentials file, no data-directory paths)."""
        environment = {key: parent[key] for key in BASE_ENVIRONMENT if key in parent}
        if self.workdir:
            home = os.path.join(self.workdir, "tmp")
            environment |= {"HOME": home, "TMPDIR": home}
        return environment | job_environment

    def command_line(self, argv: Sequence[str], python: str) -> list[str]:
        """``argv`` run through the launcher."""
        return [python, os.path.abspath(__file__), self.to_json(), "--", *argv]


def job_user_ids(user: str) -> tuple[int, int]:
    """The uid and gid of ``user`` (a name or a numeric uid); ``ValueError`` if there is no such user."""
    try:
        entry = pwd.getpwuid(int(user)) if user.isdigit() else pwd.getpwnam(user)
    except (KeyError, ValueError):
        if user.isdigit():
            return int(user), int(user)
        raise ValueError(f"no such user {user!r} to run jobs as") from None
    return entry.pw_uid, entry.pw_gid


# ---------------------------------------------------------------- the launcher (runs in the job process)


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise SandboxError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source: str | None, target: str, kind: str | None, flags: int, data: str | None = None) -> None:
    encode = lambda text: None if text is None else text.encode()  # noqa: E731
    result = _libc().mount(encode(source), encode(target), encode(kind), ctypes.c_ulong(flags), encode(data))
    _check(result, f"mount {target}")


def apply_limits(sandbox: JobSandbox) -> None:
    """Resource limits from the KPUs (when ``sized``), no core dumps, no new privileges, one CPU per KPU."""
    limits = [(resource.RLIMIT_CORE, 0)]
    if sandbox.sized:
        limits += [
            (resource.RLIMIT_DATA, sandbox.memory_bytes),
            (resource.RLIMIT_FSIZE, sandbox.storage_bytes),
        ]
    for limit, value in limits:
        hard = resource.getrlimit(limit)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (value, value))
    if sandbox.sized and hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        first = sandbox.spread % len(cpus)  # jobs start on different CPUs, not all on the first
        os.sched_setaffinity(0, (cpus[first:] + cpus[:first])[: max(1, sandbox.kpus)])
    if sys.platform.startswith("linux"):
        _check(_libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _passable(path: str, uid: int, gids: set[int]) -> bool:
    """Whether ``uid`` (with groups ``gids``) may pass through directory ``path``."""
    status = os.stat(path)
    if status.st_uid == uid:
        return bool(status.st_mode & 0o100)
    if status.st_gid in gids:
        return bool(status.st_mode & 0o010)
    return bool(status.st_mode & 0o001)


def _within(path: str, roots: Iterable[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def _needed_children(paths: Iterable[str]) -> dict[str, set[str]]:
    """For every directory on the way to ``paths``: the names below it that lead to one of them."""
    needed: dict[str, set[str]] = {}
    for path in paths:
        parts = Path(path).parts
        for depth in range(1, len(parts)):
            needed.setdefault(str(Path(*parts[:depth])), set()).add(parts[depth])
    return needed


@contextlib.contextmanager
def _staging() -> Iterator[str]:
    """A small tmpfs to prepare mounts in, gone afterwards (what was bind-mounted from it stays)."""
    staging = tempfile.mkdtemp(prefix="msf-sandbox-", dir="/tmp")
    try:
        _mount("tmpfs", staging, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k")
        yield staging
    finally:
        _libc().umount2(staging.encode(), 2)  # MNT_DETACH; fails harmlessly if the mount never happened
        os.rmdir(staging)


def _veil(directory: str, keep: set[str]) -> None:
    """Replace ``directory`` (in this mount namespace) by an empty tmpfs holding only ``keep``."""
    with _staging() as staging:
        kept = []
        for name in sorted(keep):
            original = os.path.join(directory, name)
            if not os.path.lexists(original):
                continue
            held = os.path.join(staging, name)
            is_dir = os.path.isdir(original) and not os.path.islink(original)
            if is_dir:
                os.mkdir(held)
            else:
                Path(held).touch()
            _mount(original, held, None, MS_BIND | MS_REC)
            kept.append((name, held, is_dir))
        _mount("tmpfs", directory, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k")
        for name, held, is_dir in kept:
            target = os.path.join(directory, name)
            if is_dir:
                os.mkdir(target)
            else:
                Path(target).touch()
            _mount(held, target, None, MS_MOVE)


def _blank(path: str) -> None:
    """Cover file ``path`` (in this mount namespace) with an empty file nobody may open."""
    with _staging() as staging:
        blank = os.path.join(staging, "blank")
        Path(blank).touch(mode=0)
        os.chmod(blank, 0)
        _mount(blank, path, None, MS_BIND)


def interpreter_paths() -> list[str]:
    """What the job's interpreter reads: its binary, its prefixes, ``sys.path`` and this package."""
    paths = [os.path.realpath(sys.executable), sys.executable, *sys.path]
    paths += [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    paths.append(str(Path(__file__).resolve().parents[2]))
    return [path for path in paths if path and os.path.isabs(path) and os.path.exists(path)]


def _private_namespace() -> None:
    """A mount namespace of this process's own, with a ``/proc`` that shows each user only its processes."""
    _check(_libc().unshare(CLONE_NEWNS), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")


def isolate(sandbox: JobSandbox, uid: int, gid: int) -> None:
    """The mount namespace of a job that switches user: private mounts, a ``/proc`` without the server's
    processes, ``hidden`` directories veiled but for the exposed paths, and passable ways to them."""
    _private_namespace()
    workdir = [sandbox.workdir] if sandbox.workdir else []
    exposed = {os.path.realpath(path) for path in [*sandbox.exposed, *workdir] if os.path.lexists(path)}
    reachable = exposed | {os.path.realpath(path) for path in interpreter_paths()}
    hidden = {os.path.realpath(path) for path in sandbox.hidden}
    gids = {gid}
    needed = _needed_children(reachable)
    for directory in sorted(needed, key=lambda path: len(Path(path).parts)):
        if _within(directory, exposed):
            continue  # an exposed tree is seen whole
        if _within(directory, hidden) or not _passable(directory, uid, gids):
            _veil(directory, needed[directory])
    for root in hidden - set(needed):
        if os.path.isdir(root):
            _veil(root, set())
        elif os.path.isfile(root):
            _blank(root)


def enter(sandbox: JobSandbox) -> None:
    """Apply ``sandbox`` to this process (the launcher, before it execs the job)."""
    apply_limits(sandbox)
    if not (sandbox.user and sandbox.switches_user()):
        return
    uid, gid = job_user_ids(sandbox.user)
    cwd = os.getcwd()
    isolate(sandbox, uid, gid)
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    os.chdir(cwd)  # through the new mounts


def _report_failure(command: list[str], text: str) -> None:
    """Tell the supervisor, on the job's control channel, that the job failed before it started (no restart
    can help it)."""
    if "--control-fd" not in command:
        return
    line = json.dumps({"type": "failed", "error": text, "initialization": True}) + "\n"
    with contextlib.suppress(OSError, ValueError, IndexError):
        os.write(int(command[command.index("--control-fd") + 1]), line.encode())


@functools.cache
def isolation_available(python: str = sys.executable) -> bool:
    """Whether this process may give jobs their own mount namespace (root with ``CAP_SYS_ADMIN``, as on a
    plain Linux host; not in a default Docker container). Asked once, of a throwaway child."""
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return False
    try:
        probe = subprocess.run([python, os.path.abspath(__file__), PROBE], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def _probe() -> int:
    try:
        _private_namespace()
    except OSError:
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python sandbox.py CONFIG -- ARGV``: confine this process, then exec ARGV."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == [PROBE]:
        return _probe()
    if len(args) < 3 or args[1] != "--":
        sys.stderr.write("usage: python sandbox.py CONFIG -- ARGV\n")
        return 2
    sandbox = JobSandbox.from_dict(json.loads(args[0]))
    command = args[2:]
    try:
        enter(sandbox)
    except (OSError, ValueError) as error:
        text = f"The job sandbox could not be set up: {type(error).__name__}: {error}"
        sys.stderr.write(text + "\n")
        _report_failure(command, text)
        return 1
    os.execv(command[0], command)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
