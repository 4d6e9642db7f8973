"""A job process whose supervisor's end of the control channel closes (its owner died) ends at once, as
the kill its parent-death signal delivers: never as a cancel, which would delete the checkpoints its
owner's successor restores from. Its own closing of the channel at the end of the job is not that."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from stream_runtime.engine.control import OWNER_GONE_EXIT

PEER_CLOSES = textwrap.dedent(
    """
    import socket, time
    from stream_runtime.engine.control import JobControlChannel
    job, owner = socket.socketpair()
    channel = JobControlChannel(job)
    owner.close()
    time.sleep(30)  # ended by the channel's reader before this returns
    """
)

JOB_CLOSES = textwrap.dedent(
    """
    import socket, time
    from stream_runtime.engine.control import JobControlChannel
    job, owner = socket.socketpair()
    channel = JobControlChannel(job)
    channel.send("finished")
    channel.close()
    time.sleep(0.5)  # the reader has seen the close by now
    print(owner.recv(1024).decode().strip())
    """
)


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_job_process_ends_at_once_when_its_owner_closes_the_channel() -> None:
    ended = run(PEER_CLOSES)
    assert ended.returncode == OWNER_GONE_EXIT, ended.stderr
    assert "cancel" not in ended.stdout + ended.stderr


def test_closing_its_own_end_does_not_end_the_job_process() -> None:
    ended = run(JOB_CLOSES)
    assert ended.returncode == 0, ended.stderr
    assert ended.stdout.strip() == '{"type": "finished"}'
