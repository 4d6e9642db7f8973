"""Reusable two-phase-commit sink base: pre-commit on snapshot, commit on checkpoint complete."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from stream_runtime.functions import (
    CheckpointedFunction,
    CheckpointListener,
    FunctionInitializationContext,
    FunctionSnapshotContext,
    RuntimeContext,
    SinkFunction,
)
from stream_runtime.state.api import ListStateDescriptor


class TwoPhaseCommitSinkFunction(SinkFunction, CheckpointedFunction, CheckpointListener):
    """Writes into a transaction per checkpoint interval.

    At a checkpoint the current transaction is pre-committed and remembered with the checkpoint id; when the
    checkpoint completes every transaction up to that id is committed (a savepoint sends no completion
    notice, so its transaction waits for the next checkpoint, or is committed at once by a
    stop-with-savepoint). On restore, the pre-committed transactions in the restored state are committed
    again (``commit`` must be idempotent) and the transaction that was open is aborted. Transactions must be
    msgpack/pickle-serialisable values.
    """

    _STATE = ListStateDescriptor("two-phase-commit-state")

    def __init__(self) -> None:
        self.current_transaction: Any = None
        self.pending_commit: dict[int, Any] = {}
        self._checkpointing = True
        self._index = 0
        self._state: Any = None

    @abstractmethod
    def begin_transaction(self) -> Any:
        """Start a transaction and return its handle."""

    @abstractmethod
    def invoke_in_transaction(self, transaction: Any, value: Any) -> None:
        """Write one record into ``transaction``."""

    @abstractmethod
    def pre_commit(self, transaction: Any) -> None:
        """Make the transaction durable; after this only commit or abort remain."""

    @abstractmethod
    def commit(self, transaction: Any) -> None:
        """Publish a pre-committed transaction; must be idempotent."""

    @abstractmethod
    def abort(self, transaction: Any) -> None:
        """Discard a transaction."""

    def recover_and_commit(self, transaction: Any) -> None:
        """Commit a transaction found pre-committed in restored state."""
        self.commit(transaction)

    def recover_and_abort(self, transaction: Any) -> None:
        """Abort the transaction that was open when the restored checkpoint was taken."""
        self.abort(transaction)

    def finish_recovering_transactions(self, restored: bool) -> None:
        """Hook after restored transactions were handled (e.g. to delete orphans)."""

    def initialize_state(self, context: FunctionInitializationContext) -> None:
        """Recover the transactions of the former subtasks this subtask now owns, then begin a new one.

        The state is union list state with one entry per former subtask, so after rescaling every former
        subtask's transactions are handled by exactly one subtask: former index ``i`` by ``i % parallelism``
        (entries written without an index, by earlier versions, by whoever received them).
        """
        runtime = context.get_runtime_context()
        self._checkpointing = runtime.is_checkpointing_enabled()
        self._index = runtime.get_index_of_this_subtask()
        parallelism = runtime.get_number_of_parallel_subtasks()
        self._state = context.get_operator_state_store().get_union_list_state(self._STATE)
        if context.is_restored():
            for entry in self._state.get():
                if entry.get("subtask", self._index) % parallelism != self._index:
                    continue
                for _, transaction in entry["pending"]:
                    self.recover_and_commit(transaction)
                if entry["current"] is not None:
                    self.recover_and_abort(entry["current"])
        self._state.clear()
        self.finish_recovering_transactions(context.is_restored())
        self.current_transaction = self.begin_transaction()

    def invoke(self, value: Any, context: Any = None) -> None:
        self.invoke_in_transaction(self.current_transaction, value)

    def snapshot_state(self, context: FunctionSnapshotContext) -> None:
        self.pre_commit(self.current_transaction)
        self.pending_commit[context.get_checkpoint_id()] = self.current_transaction
        self.current_transaction = self.begin_transaction()
        entry = {
            "subtask": self._index,
            "current": self.current_transaction,
            "pending": list(self.pending_commit.items()),
        }
        self._state.update([entry])

    def notify_checkpoint_complete(self, checkpoint_id: int) -> None:
        for pending_id in sorted(self.pending_commit):
            if pending_id > checkpoint_id:
                break
            self.commit(self.pending_commit.pop(pending_id))

    def finish(self) -> None:
        """Without checkpointing, end of input commits directly (with it, the final checkpoint commits).

        Transactions pre-committed by savepoints (which commit nothing themselves) are committed first.
        """
        if not self._checkpointing:
            for pending_id in sorted(self.pending_commit):
                self.commit(self.pending_commit.pop(pending_id))
            self.pre_commit(self.current_transaction)
            self.commit(self.current_transaction)
            self.current_transaction = self.begin_transaction()

    def close(self) -> None:
        if self.current_transaction is not None:
            self.abort(self.current_transaction)
            self.current_transaction = None

    def open(self, runtime_context: RuntimeContext) -> None:
        return None
