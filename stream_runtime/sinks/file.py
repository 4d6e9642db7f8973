"""Exactly-once file sink: one part file per transaction (in-progress → pending → finished)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import IO, Any

from stream_runtime.functions import FunctionInitializationContext
from stream_runtime.sinks.two_phase import TwoPhaseCommitSinkFunction


class ExactlyOnceFileSink(TwoPhaseCommitSinkFunction):
    """Writes ``encoder(record)`` lines to ``<directory>/<prefix>-<subtask>-<seq>``.

    Readers must only consume finished files.

    In-progress and pending files are hidden (dot-prefixed). Sequence numbers grow with each transaction, so
    the finished files of a subtask sorted by name are in commit order. A transaction remembers its
    directory, so a job restored from another application's savepoint (an enhanced snapshot) commits that
    application's pending file where it was written, as Flink's file sink keeps absolute paths.
    """

    def __init__(self, directory: str, prefix: str = "part", encoder: Callable[[Any], str] = str) -> None:
        super().__init__()
        self.directory = directory
        self.prefix = prefix
        self.encoder = encoder
        self._subtask = 0
        self._parallelism = 1
        self._next_seq = 0
        self._handles: dict[int, IO[str]] = {}

    def _final(self, transaction: Any) -> str:
        subtask = transaction.get("subtask", self._subtask)
        directory = transaction.get("directory", self.directory)
        return os.path.join(directory, f"{self.prefix}-{subtask}-{transaction['seq']:010d}")

    def _hidden(self, transaction: Any, stage: str) -> str:
        subtask = transaction.get("subtask", self._subtask)
        directory = transaction.get("directory", self.directory)
        return os.path.join(directory, f".{self.prefix}-{subtask}-{transaction['seq']:010d}.{stage}")

    def initialize_state(self, context: FunctionInitializationContext) -> None:
        runtime = context.get_runtime_context()
        self._subtask = runtime.get_index_of_this_subtask()
        self._parallelism = runtime.get_number_of_parallel_subtasks()
        os.makedirs(self.directory, exist_ok=True)
        super().initialize_state(context)

    def _parse(self, name: str) -> tuple[bool, int, int] | None:
        """``(hidden, subtask, seq)`` of one of this sink's file names, else ``None``."""
        hidden = name.startswith(".") and name.endswith((".inprogress", ".pending"))
        body = name[1:].rsplit(".", 1)[0] if hidden else name
        if not body.startswith(f"{self.prefix}-"):
            return None
        subtask, _, seq = body[len(self.prefix) + 1 :].partition("-")
        if not (subtask.isdigit() and seq.isdigit()):
            return None
        return hidden, int(subtask), int(seq)

    def finish_recovering_transactions(self, restored: bool) -> None:
        """Remove in-progress/pending files left by a run that died (never committed).

        This subtask cleans the files of every former subtask whose transactions it recovered (former index
        modulo the parallelism), so after rescaling no file is cleaned while another subtask still needs it.
        """
        known = [self._next_seq - 1]
        for name in os.listdir(self.directory):
            parsed = self._parse(name)
            if parsed is None:
                continue
            hidden, subtask, seq = parsed
            if hidden and subtask % self._parallelism == self._subtask:
                os.unlink(os.path.join(self.directory, name))
            if subtask == self._subtask:
                known.append(seq)
        self._next_seq = max(known) + 1

    def _own(self, transaction: Any) -> bool:
        return transaction.get("subtask", self._subtask) == self._subtask

    def recover_and_commit(self, transaction: Any) -> None:
        """Commit a restored transaction; after rescaling it may be another (former) subtask's file."""
        if self._own(transaction):
            self._next_seq = max(self._next_seq, transaction["seq"] + 1)
        self.commit(transaction)

    def recover_and_abort(self, transaction: Any) -> None:
        if self._own(transaction):
            self._next_seq = max(self._next_seq, transaction["seq"] + 1)
        self.abort(transaction)

    def begin_transaction(self) -> Any:
        transaction: dict[str, Any] = {
            "seq": self._next_seq,
            "subtask": self._subtask,
            "directory": self.directory,
        }
        self._next_seq += 1
        self._handles[transaction["seq"]] = open(  # noqa: SIM115 - closed at pre-commit or abort
            self._hidden(transaction, "inprogress"), "w", encoding="utf-8"
        )
        return transaction

    def invoke_in_transaction(self, transaction: Any, value: Any) -> None:
        self._handles[transaction["seq"]].write(self.encoder(value) + "\n")

    def invoke_batch(self, values: list[Any]) -> None:
        encoder = self.encoder
        self._handles[self.current_transaction["seq"]].write("".join(encoder(v) + "\n" for v in values))

    def pre_commit(self, transaction: Any) -> None:
        handle = self._handles.pop(transaction["seq"])
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.replace(self._hidden(transaction, "inprogress"), self._hidden(transaction, "pending"))

    def commit(self, transaction: Any) -> None:
        pending, final = self._hidden(transaction, "pending"), self._final(transaction)
        if os.path.exists(pending):
            os.replace(pending, final)
        elif not os.path.exists(final):
            raise FileNotFoundError(f"pre-committed file {pending} is gone and was never committed")

    def abort(self, transaction: Any) -> None:
        handle = self._handles.pop(transaction["seq"], None) if self._own(transaction) else None
        if handle is not None:
            handle.close()
        for stage in ("inprogress", "pending"):
            path = self._hidden(transaction, stage)
            if os.path.exists(path):
                os.unlink(path)


def read_committed_lines(directory: str, prefix: str = "part") -> dict[int, list[str]]:
    """Finished lines per subtask in commit order (what a downstream reader may consume)."""
    result: dict[int, list[str]] = {}
    if not os.path.isdir(directory):
        return result
    for name in sorted(os.listdir(directory)):
        if not name.startswith(f"{prefix}-"):
            continue
        subtask = int(name[len(prefix) + 1 :].split("-")[0])
        with open(os.path.join(directory, name), encoding="utf-8") as handle:
            result.setdefault(subtask, []).extend(handle.read().splitlines())
    return result
