"""DescribeApplication throughput and latency: msf-local (SQLite) against moto's server, side by side.

Both servers are started here as real subprocesses on loopback (``msf-local serve --workers 2`` and
``moto_server``), each gets one application created through boto3, and then each is driven by the
same closed-loop load: ``--connections`` keep-alive HTTP/1.1 connections, each sending the next
signed DescribeApplication as soon as the previous answer arrives. Prints requests/s, p50 and p99
latency, the ratio and the load average.

The load comes from ``wrk`` (one thread, ``bench/describe.lua``): a client written in C takes a small
share of the CPU that the servers need, where a Python client in this interpreter would be the
bottleneck on a small machine. Install it with ``apt-get install -y wrk`` (Debian/Ubuntu). Without it
(or with ``--client python``) the bench falls back to an asyncio client in this process, bounded by
``--max-requests``; its figures understate both servers. Every run is bounded by ``--seconds``.

    .venv/bin/python bench/control_plane.py [--connections 16] [--seconds 10] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

BIN = Path(sys.executable).parent
WRK_SCRIPT = Path(__file__).with_name("describe.lua")
APPLICATION = "bench-app"
ROLE = "arn:aws:iam::123456789012:role/bench"
TARGET = "KinesisAnalytics_20180523.DescribeApplication"
REQUEST_TIMEOUT = 30.0


@dataclass
class Result:
    """One server's measurements (latencies in milliseconds)."""

    name: str
    requests: int
    errors: int
    seconds: float
    p50: float
    p99: float
    mean: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def line(self) -> str:
        return (
            f"{self.name:<10} {self.rate:>10.0f} req/s   p50 {self.p50:7.2f} ms   "
            f"p99 {self.p99:7.2f} ms   mean {self.mean:7.2f} ms   "
            f"requests {self.requests} errors {self.errors}"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def start(command: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    wait_for_port(port, process)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


def create_application(url: str) -> None:
    client = boto3.client(
        "kinesisanalyticsv2",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}),
    )
    client.create_application(
        ApplicationName=APPLICATION, RuntimeEnvironment="FLINK-1_20", ServiceExecutionRole=ROLE
    )
    client.describe_application(ApplicationName=APPLICATION)


BODY = b'{"ApplicationName": "%s"}' % APPLICATION.encode()


def signed_headers(port: int) -> list[str]:
    """The headers of one SigV4-signed DescribeApplication (reused: neither server checks replay)."""
    request = AWSRequest(
        method="POST",
        url=f"http://127.0.0.1:{port}/",
        data=BODY,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET},
    )
    SigV4Auth(Credentials("AKIDEXAMPLE", "secret"), "kinesisanalytics", "us-east-1").add_auth(request)
    return [f"{key}: {value}" for key, value in request.headers.items()]


def signed_request(port: int) -> bytes:
    """The signed DescribeApplication as raw HTTP/1.1 bytes, for the Python client."""
    lines = ["POST / HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(BODY)}"]
    lines += signed_headers(port)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + BODY


def run_wrk(port: int, connections: int, seconds: float) -> dict[str, float]:
    """One bounded wrk run; the summary line that ``describe.lua`` prints."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s"]
    command += [
        "-s",
        str(WRK_SCRIPT),
        f"http://127.0.0.1:{port}/",
        "--",
        BODY.decode(),
        *signed_headers(port),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    summary: dict[str, float] = json.loads(finished.stdout.strip().splitlines()[-1])
    return summary


def measure_wrk(name: str, port: int, arguments: argparse.Namespace, seconds: float) -> Result:
    summary = run_wrk(port, arguments.connections, seconds)
    errors = sum(
        int(summary[key])
        for key in ("connect_errors", "read_errors", "write_errors", "timeouts", "status_errors")
    )
    return Result(
        name=name,
        requests=int(summary["requests"]),
        errors=errors,
        seconds=summary["duration_us"] / 1e6,
        p50=summary["p50_us"] / 1000,
        p99=summary["p99_us"] / 1000,
        mean=summary["mean_us"] / 1000,
    )


async def connection_loop(
    port: int, payload: bytes, deadline: float, budget: list[int], latencies: list[float], errors: list[int]
) -> None:
    """Send requests back to back on one connection, reconnecting when the server closes it
    (moto's server speaks HTTP/1.0 and closes after every answer; reconnecting is part of its latency)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), REQUEST_TIMEOUT)
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            began = time.perf_counter()
            if reader.at_eof():
                writer.close()
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port), REQUEST_TIMEOUT
                )
            writer.write(payload)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
            status = int(head.split(b" ", 2)[1])
            fields = dict(line.split(b":", 1) for line in head.lower().split(b"\r\n")[1:] if b":" in line)
            if b"content-length" in fields:
                await asyncio.wait_for(reader.readexactly(int(fields[b"content-length"])), REQUEST_TIMEOUT)
            else:
                await asyncio.wait_for(reader.read(), REQUEST_TIMEOUT)
            if head.startswith(b"HTTP/1.0") or fields.get(b"connection", b"").strip() == b"close":
                await asyncio.wait_for(reader.read(), REQUEST_TIMEOUT)
            latencies.append(time.perf_counter() - began)
            if status != 200:
                errors[0] += 1
    finally:
        writer.close()


async def drive(
    port: int, connections: int, seconds: float, max_requests: int
) -> tuple[list[float], int, float]:
    payload = signed_request(port)
    latencies: list[float] = []
    errors = [0]
    budget = [max_requests]
    began = time.perf_counter()
    deadline = began + seconds
    await asyncio.gather(
        *(connection_loop(port, payload, deadline, budget, latencies, errors) for _ in range(connections))
    )
    return latencies, errors[0], time.perf_counter() - began


def measure_python(name: str, port: int, arguments: argparse.Namespace, seconds: float) -> Result:
    latencies, errors, elapsed = asyncio.run(
        drive(port, arguments.connections, seconds, arguments.max_requests)
    )
    ordered = sorted(latencies)

    def percentile(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    return Result(
        name=name,
        requests=len(latencies),
        errors=errors,
        seconds=elapsed,
        p50=percentile(0.50),
        p99=percentile(0.99),
        mean=statistics.fmean(latencies) * 1000,
    )


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="measured time per server and round (after a warm-up)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds, each measuring both servers in turn, so that a change in the machine's other load "
        "weighs on both; the summary is the median round",
    )
    parser.add_argument(
        "--max-requests", type=int, default=500_000, help="upper bound of requests per run (Python client)"
    )
    parser.add_argument("--workers", type=int, default=2, help="msf-local HTTP worker processes")
    parser.add_argument(
        "--client",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator [default: wrk when installed]",
    )
    arguments = parser.parse_args()
    measure = measure_wrk if arguments.client == "wrk" else measure_python
    if arguments.client == "python":
        print("load from the in-process Python client (install wrk for fairer figures)", file=sys.stderr)

    signal.signal(signal.SIGTERM, _exit_on_signal)  # so that `finally` stops both servers
    scratch = Path(tempfile.mkdtemp(prefix="msf-bench-"))
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}
    local_port, moto_port = free_port(), free_port()
    local_command = [str(BIN / "msf-local"), "serve", "--port", str(local_port), "--data-dir", str(scratch)]
    local_command += ["--workers", str(arguments.workers)]
    processes: list[subprocess.Popen[bytes]] = []
    servers = (("msf-local", local_port), ("moto", moto_port))
    rounds: list[tuple[Result, Result, str]] = []
    try:
        processes.append(start(local_command, local_port, env))
        processes.append(
            start([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)], moto_port, env)
        )
        for name, port in servers:
            create_application(f"http://127.0.0.1:{port}")
            measure(name, port, arguments, min(2.0, arguments.seconds))  # warm-up
        for _ in range(arguments.rounds):
            local, moto = (measure(name, port, arguments, arguments.seconds) for name, port in servers)
            rounds.append((local, moto, ", ".join(f"{value:.1f}" for value in os.getloadavg())))
    finally:
        for process in processes:
            stop(process)
        shutil.rmtree(scratch, ignore_errors=True)

    print(
        f"DescribeApplication, {arguments.connections} connections, {arguments.seconds:.0f} s per server "
        f"and round, loopback, client {arguments.client}, msf-local workers {arguments.workers}; "
        f"{os.cpu_count()} CPUs shared by the client and both servers"
    )
    for number, (local, moto, load) in enumerate(rounds, 1):
        print(f"round {number} (load average {load})")
        print(local.line())
        print(moto.line())
        print(f"ratio      {local.rate / moto.rate:.1f}x")
    local, moto, load = sorted(rounds, key=lambda row: row[0].rate / row[1].rate)[len(rounds) // 2]
    print(
        f"median round: {local.rate / moto.rate:.1f}x moto's requests/s (target >= 10x); "
        f"msf-local p50 {local.p50:.2f} ms, p99 {local.p99:.2f} ms (target <= 20 ms); load average {load}"
    )


if __name__ == "__main__":
    main()
