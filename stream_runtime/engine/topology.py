"""The job graph as subtasks: operator instances per vertex, the edges between them, and restored state."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from stream_runtime import serde
from stream_runtime.config import CheckpointConfig
from stream_runtime.engine.channels import Edge, Output
from stream_runtime.engine.operators import OperatorInstance, SourceInstance, TimestampsInstance
from stream_runtime.engine.two_input import TwoInputOperator
from stream_runtime.eventtime import WatermarkEmitter, WatermarkStrategy
from stream_runtime.functions import RuntimeContext
from stream_runtime.graph import JobGraph, Transformation
from stream_runtime.process.launch import LaunchOptions
from stream_runtime.state.backend import redistribute_operator_state
from stream_runtime.state.backends import KeyedBackendContext, StateBackend
from stream_runtime.state.incremental import bind_restore_storage
from stream_runtime.state.keygroups import KeyGroupAssigner, KeyGroupRange, compute_default_max_parallelism
from stream_runtime.storage.layout import METADATA_FILE, CheckpointLayout
from stream_runtime.storage.metadata import CheckpointMetadata, MetadataError
from stream_runtime.typeinfo import checking_emitter

TWO_INPUT_KINDS = frozenset(
    {
        "co_map",
        "co_flat_map",
        "co_process",
        "keyed_co_process",
        "broadcast_process",
        "keyed_broadcast_process",
    }
)
DRAIN_TIMER_ROUNDS = 1000

RestoredState = tuple[CheckpointMetadata, dict[str, list[dict[str, Any]]]]
"""The metadata of the checkpoint restored from and, per operator uid, its state files."""


class StateRestoreError(RuntimeError):
    """The checkpoint or savepoint cannot be mapped onto this job."""


def load_restored_state(options: LaunchOptions) -> RestoredState | None:
    """The metadata and operator state files of the checkpoint or savepoint to restore from, if any."""
    storage = options.restore_storage
    if storage is None:
        return None
    try:
        metadata = CheckpointMetadata.from_bytes(storage.read(METADATA_FILE))
    except (FileNotFoundError, MetadataError) as exc:
        raise StateRestoreError(
            f"No completed checkpoint or savepoint at {storage.describe('')}: {type(exc).__name__}: {exc}"
        ) from exc
    states: dict[str, list[dict[str, Any]]] = {}
    for uid, entry in metadata.operators.items():
        parts = []
        for name in entry["files"]:
            header, *keyed_chunks = serde.loads_stream(storage.read(name))
            parts.append({**header, "keyed": bind_restore_storage(keyed_chunks, storage)})
        states[uid] = parts
    options.log(f"Restoring job {options.job_id} from {storage.describe('')}.")
    return metadata, states


@dataclass
class Vertex:
    """One transformation of the graph at its parallelism: a subtask instance per index."""

    node: Transformation
    parallelism: int
    max_parallelism: int
    instances: list[OperatorInstance]
    assigner: KeyGroupAssigner | None


class JobTopology:
    """Builds the subtasks of a job graph, wires them together and restores their state."""

    def __init__(
        self,
        graph: JobGraph,
        options: LaunchOptions,
        config: CheckpointConfig,
        parallelism: int,
        state_backend: StateBackend,
        layout: CheckpointLayout,
    ) -> None:
        self.graph = graph
        self.options = options
        self.config = config
        self.parallelism = parallelism
        self.state_backend = state_backend
        self.layout = layout
        self.vertices: list[Vertex] = []
        self.sources: list[SourceInstance] = []
        self.keyed: list[OperatorInstance] = []
        self.generators: list[TimestampsInstance] = []

    def build(self, restored: RestoredState | None) -> None:
        """Create every subtask and wire the edges; check the restored state maps onto the job."""
        by_id: dict[int, Vertex] = {}
        known_uids = set()
        for node in self.graph.transformations:
            uid = node.stable_uid()
            if uid in known_uids:
                raise ValueError(f"duplicate operator uid {uid!r}")
            known_uids.add(uid)
            parallelism = node.parallelism or self.parallelism
            keyed = any(selector is not None for _, selector in node.inputs)
            max_parallelism = node.max_parallelism or self.graph.max_parallelism
            previous = restored[0].operators.get(uid) if restored else None
            if keyed and previous is not None and previous.get("keyed"):
                old_max = int(previous["max_parallelism"])
                if max_parallelism is None:
                    max_parallelism = old_max  # as Flink: an unset max parallelism is taken from the state
                elif old_max != max_parallelism:
                    raise StateRestoreError(
                        f"Cannot restore operator {uid!r}: its keyed state was written with max parallelism "
                        f"{old_max}, the job now has max parallelism {max_parallelism}. Key groups cannot be "
                        "remapped; keep the max parallelism (or drop the operator's state)."
                    )
                if parallelism > old_max:
                    raise StateRestoreError(
                        f"Cannot restore operator {uid!r} at parallelism {parallelism}: it exceeds the max "
                        f"parallelism {old_max} of its keyed state."
                    )
            if max_parallelism is None:
                max_parallelism = compute_default_max_parallelism(parallelism)
            assigner = KeyGroupAssigner(max_parallelism, parallelism) if keyed else None
            instances = [
                self._instance(node, uid, i, parallelism, max_parallelism, assigner)
                for i in range(parallelism)
            ]
            vertex = Vertex(node, parallelism, max_parallelism, instances, assigner)
            by_id[node.id] = vertex
            self.vertices.append(vertex)
            second_input = node.kind in TWO_INPUT_KINDS
            for position, (upstream, selector) in enumerate(node.inputs):
                up = by_id[upstream.id]
                partitioner = node.partitioners.get(position)
                if partitioner == "forward" and up.parallelism != parallelism:
                    raise ValueError(
                        "Forward partitioning does not allow change of parallelism: upstream operator "
                        f"{up.node.stable_uid()!r} has parallelism {up.parallelism}, {uid!r} has "
                        f"{parallelism}. "
                        "Use rebalance() or rescale()."
                    )
                for index, instance in enumerate(up.instances):
                    forward = selector is None and partitioner is None and up.parallelism == parallelism
                    output = instance.output
                    if node.side_tag is not None:
                        output = instance.side_outputs.setdefault(node.side_tag, Output())
                    output.edges.append(
                        Edge(
                            instances,
                            index,
                            selector,
                            assigner,
                            forward,
                            partitioner,
                            second_input and position == 1,
                        )
                    )
        if restored:
            unknown = sorted(
                uid
                for uid, entry in restored[0].operators.items()
                if uid not in known_uids and entry.get("has_state", True)
            )
            if unknown and not self.options.allow_non_restored_state:
                where = self.options.restore_storage.describe("") if self.options.restore_storage else "?"
                raise StateRestoreError(
                    f"Cannot map the state of operator {unknown[0]!r} in {where} to this job: "
                    f"no operator has that uid (state of operators {unknown} would be lost). Restore with "
                    "allow_non_restored_state (--allow-non-restored-state) to skip it."
                )
            if unknown:
                self.options.log(f"Skipping state of operators not in this job: {unknown}.")

    def _instance(
        self,
        node: Transformation,
        uid: str,
        index: int,
        parallelism: int,
        max_parallelism: int,
        assigner: KeyGroupAssigner | None,
    ) -> OperatorInstance:
        backend = None
        if assigner is not None:
            key_range = KeyGroupRange.for_subtask(max_parallelism, parallelism, index)
            backend = self.state_backend.create_keyed_backend(
                assigner,
                key_range,
                KeyedBackendContext(
                    uid,
                    index,
                    self.options.job_id,
                    self.layout.storage,
                    self.config.is_checkpointing_enabled(),
                ),
            )
            backend.ttl_clock_ms = self.wall_ms
        context = RuntimeContext(
            node.name,
            index,
            parallelism,
            max_parallelism,
            self.options.attempt,
            self.config.is_checkpointing_enabled(),
            backend,
            self.graph.job_parameters,
        )
        wall_ms = self.wall_ms
        args: tuple[Any, ...] = (uid, node.kind, node.function, context, None, wall_ms)
        if node.kind == "source":
            source = node.function
            clock = self.options.clock
            source_instance = SourceInstance(
                *args,
                make_reader=lambda splits: source.create_reader(splits, parallelism, clock),
                initial=source.create_splits(parallelism, clock)[index::parallelism],
                emitter=self._emitter(node.watermark_strategy),
            )
            if node.output_type is not None:
                source_instance._emit = checking_emitter(
                    source_instance._emit, node.output_type, uid, source=True
                )
            self.sources.append(source_instance)
            return source_instance
        function = copy.deepcopy(node.function) if parallelism > 1 else node.function
        args = (uid, node.kind, function, context, backend, wall_ms)
        instance: OperatorInstance
        if node.kind == "timestamps":
            emitter = self._emitter(node.watermark_strategy)
            assert emitter is not None
            instance = TimestampsInstance(*args, emitter=emitter)
            self.generators.append(instance)
        elif node.kind == "window":
            from stream_runtime.engine.window_operator import WindowOperator  # only a job with windows

            instance = WindowOperator(*args)
        elif node.kind in TWO_INPUT_KINDS:
            instance = TwoInputOperator(*args)
        else:
            instance = OperatorInstance(*args)
        if node.output_type is not None:
            instance._emit = checking_emitter(instance._emit, node.output_type, uid)
        if backend is not None:
            self.keyed.append(instance)
        return instance

    def _emitter(self, strategy: WatermarkStrategy | None) -> WatermarkEmitter | None:
        if strategy is None:
            return None
        return WatermarkEmitter(strategy, self.wall_ms, self.graph.auto_watermark_interval_ms)

    def wall_ms(self) -> float:
        """The wall clock in milliseconds (event time, TTL and timers read it)."""
        return self.options.wall_clock() * 1000

    def initialize(self, restored: RestoredState | None) -> None:
        """Restore each subtask's keyed and operator state (when restoring) and open it."""
        for vertex in self.vertices:
            uid = vertex.node.stable_uid()
            parts = restored[1].get(uid) if restored else None
            per_subtask = None
            if parts is not None:
                per_subtask = redistribute_operator_state([p["operator"] for p in parts], vertex.parallelism)
            for index, instance in enumerate(vertex.instances):
                if parts is not None and instance.keyed_backend is not None:
                    instance.keyed_backend.restore(
                        [(tuple(p["key_group_range"]), p["keyed"]) for p in parts if "key_group_range" in p]
                    )
                instance.initialize(restored is not None, None if per_subtask is None else per_subtask[index])

    def drain(self) -> None:
        """Sources end with MAX_WATERMARK (firing every event-time timer), then every pending processing-time
        timer fires, then ``finish``."""
        for source in self.sources:
            source.end_input()
        for _ in range(DRAIN_TIMER_ROUNDS):
            if not any(i.keyed_backend is not None and i.keyed_backend.has_timers() for i in self.keyed):
                break
            for instance in self.keyed:
                instance.fire_timers(2**62)
        for instance in self.all_instances():
            instance.finish()

    def all_instances(self) -> list[OperatorInstance]:
        """Every subtask of every vertex."""
        return [instance for vertex in self.vertices for instance in vertex.instances]
