"""The job sandbox's launcher: ``python -I -S confine.py CONFIG -- ARGV`` confines itself, then execs ARGV.

It runs as a file, without ``site`` and with the standard library's cheapest modules only (``os``, ``sys``,
``json``, ``ctypes``, ``resource``, ``pwd``), so that it costs a job's start as little as possible and
nothing else runs before the limits hold. It applies the limits of a
:class:`~stream_runtime.process.sandbox.JobSandbox` (CONFIG: its JSON, plus ``interpreter``: the paths the
job's interpreter reads) to itself, then execs ARGV (the job process: same pid, same parent, same control
channel), so nothing of the job's code ever runs with more than the sandbox allows. In order:

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

import ctypes
import json
import os
import pwd
import resource
import sys

TYPE_CHECKING = False  # typing is not imported at run time: it would cost every job start
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

GIB = 1024**3
MEMORY_PER_KPU = 4 * GIB  # AWS: 1 vCPU, 4 GiB of memory and 50 GiB of running storage per KPU
STORAGE_PER_KPU = 50 * GIB
PR_SET_NO_NEW_PRIVS = 38
PROBE = "--probe-isolation"
CLONE_NEWNS = 0x00020000
MNT_DETACH = 2
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 32, 4096, 8192, 16384, 1 << 18


class SandboxError(OSError):
    """The sandbox could not be set up; the job is not run."""


def job_user_ids(user: str) -> tuple[int, int]:
    """The uid and gid of ``user`` (a name or a numeric uid); ``ValueError`` if there is no such user."""
    try:
        entry = pwd.getpwuid(int(user)) if user.isdigit() else pwd.getpwnam(user)
    except (KeyError, ValueError):
        if user.isdigit():
            return int(user), int(user)
        raise ValueError(f"no such user {user!r} to run jobs as") from None
    return entry.pw_uid, entry.pw_gid


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


def apply_limits(config: dict[str, Any]) -> None:
    """Resource limits from the KPUs (when ``sized``), no core dumps, no new privileges, one CPU per KPU."""
    kpus, sized = int(config.get("kpus", 1)), bool(config.get("sized", True))
    limits = [(resource.RLIMIT_CORE, 0)]
    if sized:
        limits += [
            (resource.RLIMIT_DATA, kpus * MEMORY_PER_KPU),
            (resource.RLIMIT_FSIZE, kpus * int(config.get("storage_per_kpu", STORAGE_PER_KPU))),
        ]
    for limit, value in limits:
        hard = resource.getrlimit(limit)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (value, value))
    if sized and hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        first = int(config.get("spread", 0)) % len(cpus)  # jobs start on different CPUs, not all on the first
        os.sched_setaffinity(0, (cpus[first:] + cpus[:first])[: max(1, kpus)])
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
        parts = [part for part in path.split("/") if part]
        for depth in range(len(parts)):
            needed.setdefault("/" + "/".join(parts[:depth]), set()).add(parts[depth])
    return needed


def _touch(path: str, mode: int = 0o666) -> None:
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, mode))


class _Staging:
    """A small tmpfs to prepare mounts in, gone afterwards (what was bind-mounted from it stays)."""

    def __enter__(self) -> str:
        self.path = f"/tmp/msf-sandbox-{os.getpid()}-{os.urandom(6).hex()}"
        os.mkdir(self.path, 0o700)
        try:
            _mount("tmpfs", self.path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k")
        except OSError:
            os.rmdir(self.path)
            raise
        return self.path

    def __exit__(self, *exc: object) -> None:
        _libc().umount2(self.path.encode(), MNT_DETACH)
        os.rmdir(self.path)


def _veil(directory: str, keep: set[str]) -> None:
    """Replace ``directory`` (in this mount namespace) by an empty tmpfs holding only ``keep``."""
    with _Staging() as staging:
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
                _touch(held)
            _mount(original, held, None, MS_BIND | MS_REC)
            kept.append((name, held, is_dir))
        _mount("tmpfs", directory, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k")
        for name, held, is_dir in kept:
            target = os.path.join(directory, name)
            if is_dir:
                os.mkdir(target)
            else:
                _touch(target)
            _mount(held, target, None, MS_MOVE)


def _blank(path: str) -> None:
    """Cover file ``path`` (in this mount namespace) with an empty file nobody may open."""
    with _Staging() as staging:
        blank = os.path.join(staging, "blank")
        _touch(blank, 0)
        os.chmod(blank, 0)
        _mount(blank, path, None, MS_BIND)


def _private_namespace() -> None:
    """A mount namespace of this process's own, with a ``/proc`` that shows each user only its processes."""
    _check(_libc().unshare(CLONE_NEWNS), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")


def isolate(config: dict[str, Any], uid: int, gid: int) -> None:
    """The mount namespace of a job that switches user: private mounts, a ``/proc`` without the server's
    processes, ``hidden`` directories veiled but for the exposed paths, and passable ways to them."""
    _private_namespace()
    workdir = [config["workdir"]] if config.get("workdir") else []
    exposed_paths = [*config.get("exposed", ()), *workdir]
    exposed = {os.path.realpath(path) for path in exposed_paths if os.path.lexists(path)}
    interpreter = [path for path in config.get("interpreter", ()) if os.path.exists(path)]
    reachable = exposed | {os.path.realpath(path) for path in interpreter}
    hidden = {os.path.realpath(path) for path in config.get("hidden", ())}
    gids = {gid}
    needed = _needed_children(reachable)
    for directory in sorted(needed, key=lambda path: len([part for part in path.split("/") if part])):
        if _within(directory, exposed):
            continue  # an exposed tree is seen whole
        if _within(directory, hidden) or not _passable(directory, uid, gids):
            _veil(directory, needed[directory])
    for root in hidden - set(needed):
        if os.path.isdir(root):
            _veil(root, set())
        elif os.path.isfile(root):
            _blank(root)


def switches_user(config: dict[str, Any]) -> bool:
    """Whether the job runs as ``user`` (only root can switch)."""
    return bool(config.get("user")) and os.geteuid() == 0


def enter(config: dict[str, Any]) -> None:
    """Apply the sandbox ``config`` to this process (the launcher, before it execs the job)."""
    apply_limits(config)
    if not switches_user(config):
        return
    uid, gid = job_user_ids(str(config["user"]))
    cwd = os.getcwd()
    isolate(config, uid, gid)
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
    try:  # noqa: SIM105 - contextlib is one more import for every job start
        os.write(int(command[command.index("--control-fd") + 1]), line.encode())
    except (OSError, ValueError, IndexError):
        pass


def _probe() -> int:
    try:
        _private_namespace()
    except OSError:
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -I -S confine.py CONFIG -- ARGV``: confine this process, then exec ARGV."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == [PROBE]:
        return _probe()
    if len(args) < 3 or args[1] != "--":
        sys.stderr.write("usage: python -I -S confine.py CONFIG -- ARGV\n")
        return 2
    config = json.loads(args[0])
    command = args[2:]
    try:
        enter(config)
    except (OSError, ValueError) as error:
        text = f"The job sandbox could not be set up: {type(error).__name__}: {error}"
        sys.stderr.write(text + "\n")
        _report_failure(command, text)
        return 1
    os.execv(command[0], command)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
