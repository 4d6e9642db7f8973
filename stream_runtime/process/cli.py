"""Command line: ``python -m stream_runtime run job.py --job-id ID --checkpoint-dir DIR`` and more."""

from __future__ import annotations

import argparse
import json
import logging
import os
import runpy
import signal
import sys
import traceback
from types import FrameType

from stream_runtime import pyflink_imports
from stream_runtime.cloudwatch_logs import install_from_environment
from stream_runtime.config import RuntimeOverrides
from stream_runtime.engine.control import JobControlChannel
from stream_runtime.engine.executor import JobCanceled
from stream_runtime.engine.topology import StateRestoreError
from stream_runtime.process.launch import LaunchOptions, launch_options
from stream_runtime.process.lifeline import die_with_owner, stamp_output
from stream_runtime.properties import PROPERTIES_ENV
from stream_runtime.state.backends import BACKEND_NAMES
from stream_runtime.storage.layout import METADATA_FILE, CheckpointLayout
from stream_runtime.storage.locations import dispose_savepoint, open_storage
from stream_runtime.storage.metadata import CheckpointMetadata

EXIT_FAILED = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stream_runtime")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a job file in this process")
    run.add_argument("job_file")
    run.add_argument("--job-id", required=True)
    run.add_argument("--checkpoint-dir", required=True, help="directory or s3://bucket/prefix")
    run.add_argument("--restore", help="checkpoint or savepoint folder (path or s3:// URI) to restore from")
    run.add_argument("--allow-non-restored-state", action="store_true")
    run.add_argument("--parallelism", type=int)
    run.add_argument("--checkpoint-interval", type=int, help="ms; overrides the job code")
    run.add_argument("--min-pause", type=int, help="ms; overrides the job code")
    toggle = run.add_mutually_exclusive_group()
    toggle.add_argument("--checkpointing", dest="checkpointing", action="store_true", default=None)
    toggle.add_argument("--no-checkpointing", dest="checkpointing", action="store_false")
    run.add_argument("--state-backend", choices=BACKEND_NAMES, help="overrides the job code")
    incremental = run.add_mutually_exclusive_group()
    incremental.add_argument(
        "--incremental-checkpoints", dest="incremental", action="store_true", default=None
    )
    incremental.add_argument("--no-incremental-checkpoints", dest="incremental", action="store_false")
    run.add_argument("--control-fd", type=int, help="socket fd of the supervisor's control channel")
    run.add_argument("--owner-pid", type=int, help="process id of the supervisor; the job dies with it")
    run.add_argument("--attempt", type=int, default=0)
    run.add_argument("--properties", help="application_properties.json for the job")
    stats = commands.add_parser("checkpoints", help="print a job's checkpoint statistics")
    stats.add_argument("--job-id", required=True)
    stats.add_argument("--checkpoint-dir", required=True)
    savepoint = commands.add_parser("savepoint", help="inspect or dispose a savepoint (path or s3:// URI)")
    savepoint.add_argument("action", choices=["info", "dispose"])
    savepoint.add_argument("location")
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.owner_pid is not None:
        if not die_with_owner(args.owner_pid):
            return EXIT_FAILED
        stamp_output()
    shipper = install_from_environment()
    logger = logging.getLogger("stream_runtime")
    channel = JobControlChannel.from_fd(args.control_fd) if args.control_fd is not None else None
    options = LaunchOptions(
        job_id=args.job_id,
        storage=open_storage(args.checkpoint_dir),
        restore_storage=open_storage(args.restore) if args.restore else None,
        allow_non_restored_state=args.allow_non_restored_state,
        overrides=RuntimeOverrides(
            checkpointing_enabled=args.checkpointing,
            checkpoint_interval_ms=args.checkpoint_interval,
            min_pause_between_checkpoints_ms=args.min_pause,
            parallelism=args.parallelism,
            state_backend=args.state_backend,
            incremental_checkpoints=args.incremental,
        ),
        channel=channel,
        attempt=args.attempt,
        log=logger.info,
    )

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        options.cancel_requested.set()

    signal.signal(signal.SIGTERM, on_sigterm)
    if args.properties:
        os.environ[PROPERTIES_ENV] = args.properties
    sys.argv = [args.job_file, *args.job_args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(args.job_file)))
    pyflink_imports.install()
    code = 0
    try:
        with launch_options(options):
            runpy.run_path(args.job_file, run_name="__main__")
        if channel is not None:
            channel.send("finished", savepoint=options.final_savepoint)
    except JobCanceled:
        if channel is not None:
            channel.send("canceled")
    except BaseException as exc:
        text = traceback.format_exc()
        logger.error("Job %s failed (attempt %s)", args.job_id, args.attempt, exc_info=True)
        if channel is not None:
            # a failure before the job started (its code, or state that cannot be mapped onto it) is terminal
            initialization = isinstance(exc, StateRestoreError) or not options.started
            channel.send("failed", error=text, initialization=initialization)
        code = EXIT_FAILED
    finally:
        sys.stdout.flush()
        if shipper is not None:
            shipper.close()
        if channel is not None:
            channel.close()
    return code


def _checkpoints(args: argparse.Namespace) -> int:
    layout = CheckpointLayout(open_storage(args.checkpoint_dir), args.job_id)
    latest = layout.latest_completed()
    print(
        json.dumps(
            {
                "latest_completed": None if latest is None else layout.storage.describe(latest.directory),
                "history": layout.read_stats(),
            },
            indent=2,
        )
    )
    return 0


def _savepoint(args: argparse.Namespace) -> int:
    if args.action == "dispose":
        disposed = dispose_savepoint(args.location)
        print(f"{'Disposed' if disposed else 'No savepoint at'} {args.location}")
        return 0 if disposed else EXIT_FAILED
    metadata = CheckpointMetadata.from_bytes(open_storage(args.location).read(METADATA_FILE))
    summary = {
        "id": metadata.checkpoint_id,
        "job_id": metadata.job_id,
        "is_savepoint": metadata.is_savepoint,
        "timestamp_ms": metadata.timestamp_ms,
        "parallelism": metadata.parallelism,
        "operators": {
            uid: {
                key: entry.get(key)
                for key in ("parallelism", "max_parallelism", "keyed", "has_state", "format")
            }
            for uid, entry in metadata.operators.items()
        },
        "stats": metadata.stats,
    }
    print(json.dumps(summary, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m stream_runtime``; arguments after ``--`` go to the job as ``sys.argv``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    job_args: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, job_args = argv[:split], argv[split + 1 :]
    args = _parser().parse_args(argv)
    args.job_args = job_args
    if args.command == "run":
        return _run(args)
    if args.command == "savepoint":
        return _savepoint(args)
    return _checkpoints(args)
