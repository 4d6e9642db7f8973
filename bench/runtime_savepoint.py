"""Savepoint of 1 000 000 keys, then a restore at a new parallelism, end to end through the supervisor.

A job process (parallelism 2) loads KEYS keys into a keyed ValueState, then idles. The benchmark asks for
stop-with-savepoint and starts a new job process from the savepoint at parallelism 3. Reported per round:

* savepoint: from the request to the savepoint's completion (sync copy + canonical encoding + write),
* stop: from the request until the first job process has exited (FINISHED),
* restore: from spawning the new process until it reports that it restored its state and is processing,
* end to end: from the stop request until the restored job processes (the figure the target is for).

Wall times suffer from whatever else runs on the machine, so ``--in-process`` runs both jobs as threads of the
benchmark process (same engine, an in-process control channel) and also reports the CPU time the work took
(``time.process_time``, every thread of the process) plus the CPU time of a job process's start-up: on an idle
machine the end-to-end time is about their sum, since the work is serial.

Usage: ``.venv/bin/python bench/runtime_savepoint.py [--keys N] [--rounds R] [--from-p 2] [--to-p 3]
[--in-process]``
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import runpy
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stream_runtime.config import RuntimeOverrides
from stream_runtime.engine.control import InProcessControlChannel
from stream_runtime.engine.executor import JobCanceled
from stream_runtime.process.launch import LaunchOptions, launch_options
from stream_runtime.process.model import JobProcessSpec, JobProcessStatus, SavepointProgress
from stream_runtime.process.supervisor import Supervisor
from stream_runtime.restart import NoRestartStrategy
from stream_runtime.storage import LocalCheckpointStorage

WAIT_S = 120.0

JOB = textwrap.dedent(
    '''
    """KEYS keys into keyed ValueState, then idle; writes READY_FILE once every key was emitted."""
    import os

    from stream_runtime import KeyedProcessFunction, StreamExecutionEnvironment, ValueStateDescriptor
    from stream_runtime.sinks import DiscardingSink
    from stream_runtime.sources import Source, SourceReader

    KEYS = int(os.environ["KEYS"])
    READY = os.environ["READY_FILE"]


    class LoadThenIdle(Source):
        default_parallelism = 1

        def create_splits(self, parallelism, clock):
            return [0]

        def create_reader(self, splits, parallelism, clock):
            return Reader(int(splits[0]) if splits else KEYS)


    class Reader(SourceReader):
        def __init__(self, offset):
            self.offset = offset

        def poll(self, max_records):
            if self.offset >= KEYS:
                if not os.path.exists(READY):
                    open(READY, "w").close()
                return []
            batch = list(range(self.offset, min(KEYS, self.offset + max_records)))
            self.offset += len(batch)
            return batch

        def is_finished(self):
            return False

        def snapshot(self):
            return [self.offset]


    class Count(KeyedProcessFunction):
        def open(self, runtime_context):
            self.count = runtime_context.get_state(ValueStateDescriptor("count"))

        def process_element(self, value, ctx):
            self.count.update((self.count.value() or 0) + 1)


    env = StreamExecutionEnvironment.get_execution_environment()
    (
        env.from_source(LoadThenIdle(), "load").uid("load")
        .key_by(lambda n: n).process(Count()).uid("count")
        .add_sink(DiscardingSink()).uid("sink")
    )
    env.execute("savepoint-bench")
    '''
)


def _wait(predicate: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.005)


def _round(work: Path, keys: int, from_p: int, to_p: int, index: int) -> dict[str, float]:
    job = work / "job.py"
    job.write_text(JOB)
    ready = work / f"ready-{index}"
    env = {"KEYS": str(keys), "READY_FILE": str(ready)}
    checkpoints = str(work / "checkpoints")

    def supervisor(job_id: str, parallelism: int, restore: str | None = None) -> Supervisor:
        spec = JobProcessSpec(
            str(job),
            job_id,
            checkpoints,
            overrides=RuntimeOverrides(checkpointing_enabled=False, parallelism=parallelism),
            restore_path=restore,
            env=env,
        )
        return Supervisor(spec, restart_strategy=NoRestartStrategy(), log_dir=str(work / "logs"))

    first = supervisor(f"load-{index}", from_p)
    first.start()
    _wait(lambda: ready.exists() or first.status.is_terminal, "the keys to be loaded")
    if first.status.is_terminal:
        raise RuntimeError(f"job ended early: {first.failure_cause}")
    started = time.perf_counter()
    request = first.stop_with_savepoint(str(work / "savepoints"))
    outcome = first.wait_savepoint(request.request_id, WAIT_S)
    savepoint_done = time.perf_counter()
    if outcome.state is not SavepointProgress.COMPLETED or outcome.location is None:
        raise RuntimeError(f"savepoint failed: {outcome.error}")
    if first.wait(WAIT_S) is not JobProcessStatus.FINISHED:
        raise RuntimeError(f"job did not finish: {first.failure_cause}")
    stopped = time.perf_counter()

    second = supervisor(f"restore-{index}", to_p, outcome.location)
    spawned = time.perf_counter()
    second.start()
    _wait(lambda: second.processing.is_set() or second.status.is_terminal, "the restored job to process")
    restored = time.perf_counter()
    if second.status.is_terminal:
        raise RuntimeError(
            f"restored job ended: {(work / 'logs' / f'restore-{index}-attempt-0.log').read_text()}"
        )
    second.cancel(30)
    log = (work / "logs" / f"load-{index}-attempt-0.log").read_text()
    size = int(re.findall(r"Completed savepoint \d+ .*?\((\d+) bytes", log)[-1])
    return {
        "savepoint_s": savepoint_done - started,
        "stop_s": stopped - started,
        "restore_s": restored - spawned,
        "end_to_end_s": restored - started,
        "bytes": float(size),
    }


def _startup_cpu() -> float:
    """CPU seconds a job process spends importing the runtime (what a restore pays before reading state)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", "import stream_runtime.process.cli"], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def _in_process_round(work: Path, keys: int, from_p: int, to_p: int, index: int) -> dict[str, float]:
    job = work / "job.py"
    job.write_text(JOB)
    ready = work / f"ready-{index}"
    os.environ.update(KEYS=str(keys), READY_FILE=str(ready))

    def launch(parallelism: int, restore: str | None) -> tuple[threading.Thread, InProcessControlChannel]:
        channel = InProcessControlChannel()
        options = LaunchOptions(
            job_id=f"bench-{index}",
            storage=LocalCheckpointStorage(work / "checkpoints"),
            restore_storage=LocalCheckpointStorage(restore) if restore else None,
            overrides=RuntimeOverrides(checkpointing_enabled=False, parallelism=parallelism),
            channel=channel,
            log=lambda _: None,
        )

        def run() -> None:
            with launch_options(options), contextlib.suppress(JobCanceled):
                runpy.run_path(str(job), run_name="__main__")

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread, channel

    first, channel = launch(from_p, None)
    _wait(ready.exists, "the keys to be loaded")
    wall, cpu = time.perf_counter(), time.process_time()
    response = channel.wait_response(channel.submit("stop_with_savepoint", target=str(work / "sp")), WAIT_S)
    first.join(WAIT_S)
    savepoint_wall, savepoint_cpu = time.perf_counter() - wall, time.process_time() - cpu
    if not response["ok"]:
        raise RuntimeError(response["error"])
    wall, cpu = time.perf_counter(), time.process_time()
    second, channel = launch(to_p, str(response["location"]))
    while channel.events.get(timeout=WAIT_S)["type"] != "running":
        pass
    restore_wall, restore_cpu = time.perf_counter() - wall, time.process_time() - cpu
    channel.submit("cancel")
    second.join(WAIT_S)
    return {
        "savepoint_s": savepoint_wall,
        "savepoint_cpu_s": savepoint_cpu,
        "restore_s": restore_wall,
        "restore_cpu_s": restore_cpu,
    }


def main() -> None:
    """Run the rounds and print one line per round plus the medians."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--from-p", type=int, default=2)
    parser.add_argument("--to-p", type=int, default=3)
    parser.add_argument("--in-process", action="store_true")
    arguments = parser.parse_args()
    if arguments.in_process:
        startup = statistics.median(_startup_cpu() for _ in range(3))
        rows = []
        with tempfile.TemporaryDirectory(prefix="savepoint-bench-", ignore_cleanup_errors=True) as folder:
            for index in range(arguments.rounds):
                work = Path(folder) / f"round-{index}"
                os.makedirs(work)
                row = _in_process_round(work, arguments.keys, arguments.from_p, arguments.to_p, index)
                rows.append(row)
                print(
                    f"round {index}: stop-with-savepoint {row['savepoint_s']:.2f} s wall / "
                    f"{row['savepoint_cpu_s']:.2f} s CPU, restore at p={arguments.to_p} "
                    f"{row['restore_s']:.2f} s wall / {row['restore_cpu_s']:.2f} s CPU",
                    flush=True,
                )
        cpu = [r["savepoint_cpu_s"] + r["restore_cpu_s"] + startup for r in rows]
        print(
            f"job process start-up CPU {startup:.2f} s; "
            f"CPU end to end (median) {statistics.median(cpu):.2f} s"
        )
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="savepoint-bench-", ignore_cleanup_errors=True) as folder:
        for index in range(arguments.rounds):
            work = Path(folder) / f"round-{index}"
            os.makedirs(work)
            result = _round(work, arguments.keys, arguments.from_p, arguments.to_p, index)
            results.append(result)
            print(
                f"round {index}: savepoint {result['savepoint_s']:.2f} s ({result['bytes'] / 1e6:.1f} MB), "
                f"stopped {result['stop_s']:.2f} s, restore at p={arguments.to_p} "
                f"{result['restore_s']:.2f} s, end to end {result['end_to_end_s']:.2f} s",
                flush=True,
            )
    for name in ("savepoint_s", "stop_s", "restore_s", "end_to_end_s"):
        print(f"median {name}: {statistics.median(r[name] for r in results):.2f}")


if __name__ == "__main__":
    main()
