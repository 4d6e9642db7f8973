"""A scriptable fake of Flink 2.3's REST API, served over real HTTP on 127.0.0.1, for error paths.

It answers with the shapes (and the quirks) of a real cluster: an unknown job id is a 500 carrying
``FlinkJobNotFoundException``; errors are ``{"errors": [<exception with stack frames>]}``; a savepoint
that failed is ``COMPLETED`` with ``operation.failure-cause``. Scripting:

    fake.refuse_upload("...")          # POST /jars/upload answers 400
    fake.fail_submit("...")            # POST /jars/:id/run answers 500 with a ProgramInvocationException
    fake.fail_job(job_id, "...")       # a job turns FAILED with that root cause in /exceptions
    fake.fail_next_savepoint("...")    # the next savepoint (trigger or stop) fails; the job keeps running
    fake.slots_total = 1               # capacity reported by /overview
    fake.held_slots = 2                # slots a job that ended still holds (Flink frees them a moment later)
    fake.forget_triggers()             # savepoint trigger results expire (rest.async.store-duration)
    fake.stop()                        # nothing listens any more: REST unreachable
    fake.restart_job(job_id, "...", at_ms)  # the job fails with that cause and is RESTARTING
    job.records[vertex id] = (in, out) # the vertex's numRecordsIn/Out summed over its subtasks
    job.checkpoints / failed_checkpoints / metrics  # checkpoint history, failed count, source metrics

Each submitted job is a Flink 2.3 application of its own (``SingleJobApplication``, with the job's id), as
``/jars/:id/run`` makes one on a session cluster: ``/applications/overview``, ``/applications/:id`` and
``/applications/:id/exceptions`` answer in the shapes recorded from a real cluster.

    job.in_application = other.job_id  # the job runs in the other job's Flink application
    fake.taskmanager_metrics[...] = x  # the TaskManagers' JVM heap and CPU load
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

PROGRAM_INVOCATION = "org.apache.flink.client.program.ProgramInvocationException"
DUPLICATE = "org.apache.flink.runtime.client.DuplicateJobSubmissionException"
TASK_STATES = ("running", "canceling", "canceled", "created", "scheduled", "deploying", "reconciling")
TASK_STATES += ("finished", "initializing", "failed")
SUMMARY = ("id", "name", "start-time", "end-time", "duration", "status")  # /applications/overview
APPLICATION_NOT_FOUND = "org.apache.flink.runtime.messages.FlinkApplicationNotFoundException"
WEB_UI = '<!DOCTYPE html><html><head><base href="./"><title>Apache Flink Web Dashboard</title></head></html>'
SOURCE = "bc764cd8ddf7a0cff126f51c16239658"
SINK = "20ba6b65f97481d5570070de90e4e791"
FRAMES = "\n\tat org.apache.flink.client.program.PackagedProgram.callMainMethod(PackagedProgram.java:376)"


def stack(*causes: str) -> str:
    """A Java stack trace text: the first line, then ``Caused by:`` lines, each with frames."""
    head, *rest = causes
    return head + FRAMES + "".join(f"\nCaused by: {cause}{FRAMES}" for cause in rest)


@dataclass
class FakeJob:
    """A job held by the fake cluster."""

    job_id: str
    body: dict[str, Any]
    state: str = "RUNNING"
    failure: str | None = None
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    failed_checkpoints: int = 0
    running_since_ms: int = 1_000
    history: list[tuple[int, str]] = field(default_factory=list)  # (epoch ms, cause), oldest first
    records: dict[str, tuple[int, int]] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)  # extra metrics of the source vertex
    submitted_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    in_application: str | None = None  # another job's id: this job runs in that job's Flink application

    def details(self) -> dict[str, Any]:
        """``GET /jobs/:id``: a source vertex feeding a sink vertex, each with the job's parallelism."""
        parallelism = int(self.body.get("parallelism", 1))
        vertices = [
            {"id": vertex, "name": name, "parallelism": parallelism, "status": self.state}
            for vertex, name in ((SOURCE, "Source: numbers"), (SINK, "Map -> Sink: print"))
        ]
        sink = {"id": SINK, "inputs": [{"num": 0, "id": SOURCE, "ship_strategy": "REBALANCE"}]}
        plan = {"jid": self.job_id, "nodes": [sink, {"id": SOURCE, "parallelism": parallelism}]}
        timestamps = {"CREATED": 500, "RUNNING": self.running_since_ms}
        return {
            "jid": self.job_id,
            "application-id": self.application_id,
            "state": self.state,
            "timestamps": timestamps,
            "vertices": vertices,
            "plan": plan,
        }

    @property
    def application_id(self) -> str:
        """The Flink application holding the job: its own (same id), unless ``in_application`` names one."""
        return self.in_application or self.job_id

    def overview_entry(self) -> dict[str, Any]:
        """The job as Flink 2.3 lists it in an application (``/applications/:id`` ``jobs``)."""
        now = int(time.time() * 1000)
        done = self.state in ("FINISHED", "FAILED", "CANCELED")
        running = self.state == "RUNNING"
        tasks = dict.fromkeys(TASK_STATES, 0) | {"total": 2, "running" if running else "canceled": 2}
        return {
            "jid": self.job_id,
            "name": self.body.get("flinkConfiguration", {}).get("pipeline.name", "job"),
            "jobType": "STREAMING",
            "start-time": self.submitted_ms,
            "end-time": now if done else -1,
            "duration": now - self.submitted_ms,
            "state": self.state,
            "last-modification": now,
            "tasks": tasks,
            "pending-operators": 0,
        }


def application_view(jobs: list[FakeJob]) -> dict[str, Any]:
    """``GET /applications/:id`` of the application holding ``jobs`` (the first one started it)."""
    first, listed = jobs[0], [job.overview_entry() for job in jobs]
    name = f"SingleJobApplication({listed[0]['name']})" if len(jobs) == 1 else f"{listed[0]['name']} (jar)"
    ends = [job["end-time"] for job in listed]
    end = -1 if -1 in ends else max(ends)
    states = {job.state for job in jobs}
    status = "RUNNING" if states & {"RUNNING", "RESTARTING", "CREATED"} else first.state
    return {
        "id": first.application_id,
        "name": name,
        "status": status,
        "start-time": first.submitted_ms,
        "end-time": end,
        "duration": (end if end > 0 else int(time.time() * 1000)) - first.submitted_ms,
        "timestamps": {"CREATED": first.submitted_ms, "RUNNING": first.submitted_ms},
        "jobs": listed,
    }


def application_exceptions(jobs: list[FakeJob]) -> dict[str, Any]:
    """``GET /applications/:id/exceptions``: each failed job's cause, naming the job."""
    entries = [
        {
            "exceptionName": job.failure.split(":")[0],
            "stacktrace": stack(job.failure),
            "timestamp": job.submitted_ms + 1_000,
            "jobId": job.job_id,
        }
        for job in jobs
        if job.failure
    ]
    return {"exceptionHistory": {"entries": entries}}


class FakeFlink:
    """The fake cluster's state and scripts; ``url`` is where it listens."""

    def __init__(self) -> None:
        self.jobs: dict[str, FakeJob] = {}
        self.triggers: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.slots_total = 4
        self.held_slots = 0
        self.upload_error: str | None = None
        self.submit_error: str | None = None
        self.savepoint_errors: list[str] = []
        self.taskmanager_metrics = {  # /taskmanagers/metrics, one TaskManager
            "Status.JVM.Memory.Heap.Used": 256.0 * 2**20,
            "Status.JVM.Memory.Heap.Max": 1024.0 * 2**20,
            "Status.JVM.CPU.Load": 0.25,
        }
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def refuse_upload(self, error: str) -> None:
        """The next uploads are refused with ``error``."""
        self.upload_error = error

    def fail_submit(self, error: str) -> None:
        """The next runs fail in the job's main method with ``error``."""
        self.submit_error = error

    def fail_job(self, job_id: str, cause: str) -> None:
        """The job fails for good with ``cause``."""
        with self._lock:
            self.jobs[job_id].state, self.jobs[job_id].failure = "FAILED", cause

    def fail_next_savepoint(self, error: str) -> None:
        """The next savepoint fails with ``error``."""
        self.savepoint_errors.append(error)

    def restart_job(self, job_id: str, cause: str, at_ms: int) -> None:
        """The job fails with ``cause`` at ``at_ms`` and is RESTARTING."""
        with self._lock:
            job = self.jobs[job_id]
            job.state = "RESTARTING"
            job.history.append((at_ms, cause))

    def forget_triggers(self) -> None:
        """Trigger results expire, as after ``rest.async.store-duration``."""
        with self._lock:
            self.triggers.clear()

    def stop(self) -> None:
        """Stop listening."""
        self._server.shutdown()
        self._server.server_close()

    def slots_available(self) -> int:
        """Free slots: total minus the parallelism of running jobs and the slots still held."""
        busy = sum(int(j.body.get("parallelism", 1)) for j in self.jobs.values() if j.state == "RUNNING")
        return self.slots_total - busy - self.held_slots

    # ---- request handling ------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
        with self._lock:
            self.requests.append((method, path, body))
            return self._route(method, path, query, body)

    def _route(self, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
        if path in ("/", "/index.html"):  # the web UI (a str answer is served as HTML)
            return 200, WEB_UI
        if path == "/config":
            return 200, {"flink-version": "2.3.0", "features": {"web-submit": True, "web-cancel": True}}
        if path == "/jobs":
            return 200, {"jobs": [{"id": j.job_id, "status": j.state} for j in self.jobs.values()]}
        if re.fullmatch(r"/(taskmanagers/[\w.-]+|jobmanager)/(log|logs|stdout)", path):
            return 200, {"logs": "lines of every job on the cluster"}
        if path == "/taskmanagers/metrics":
            agg = query.get("agg", "sum")
            names = query.get("get", "").split(",")
            return 200, [
                {"id": n, agg: self.taskmanager_metrics[n]} for n in names if n in self.taskmanager_metrics
            ]
        if path == "/overview":
            overview = {"taskmanagers": 1, "slots-total": self.slots_total}
            return 200, {**overview, "slots-available": self.slots_available(), "flink-version": "2.3.0"}
        if path == "/jars/upload":
            if self.upload_error:
                return 400, {"errors": [self.upload_error]}
            return 200, {"filename": f"/tmp/flink-web-upload/{uuid.uuid4()}_job.jar", "status": "success"}
        if match := re.fullmatch(r"/jars/([^/]+)/run", path):
            return self._run(body)
        if path == "/jobs/overview":
            jobs = [
                {
                    "jid": j.job_id,
                    "state": j.state,
                    "tasks": {"running": 2 if j.state == "RUNNING" else 0, "total": 2},
                }
                for j in self.jobs.values()
            ]
            return 200, {"jobs": jobs}
        if path.startswith("/applications/"):
            return self._application(path)
        if path == "/savepoint-disposal" and method == "POST":
            return 200, {"request-id": self._settle_trigger(None, body.get("savepoint-path"), for_stop=False)}
        if match := re.fullmatch(r"/savepoint-disposal/(\w+)", path):
            return 200, self.triggers.get(match[1], {"status": {"id": "COMPLETED"}, "operation": {}})
        match = re.fullmatch(r"/jobs/(\w+)(/.*)?", path)
        if match is None:
            return 404, {"errors": ["Not found: " + path]}
        job = self.jobs.get(match[1])
        if job is None:
            return 500, {
                "errors": [
                    "Internal server error.",
                    f"<Exception on server side:\n{stack(_not_found(match[1]))}",
                ]
            }
        return self._job(method, job, match[2] or "", query, body)

    def _application(self, path: str) -> tuple[int, Any]:
        applications: dict[str, list[FakeJob]] = {}
        for job in self.jobs.values():
            applications.setdefault(job.application_id, []).append(job)
        if path == "/applications/overview":
            listed = []
            for jobs in applications.values():
                view = application_view(jobs)
                counts = {
                    state: [job.state for job in jobs].count(state) for state in {j.state for j in jobs}
                }
                listed.append({key: view[key] for key in SUMMARY} | {"jobs": counts})
            return 200, {"applications": listed}
        match = re.fullmatch(r"/applications/(\w+)(/exceptions)?", path)
        if match is None:
            return 404, {"errors": ["Not found: " + path]}
        if match[1] not in applications:
            missing = f"{APPLICATION_NOT_FOUND}: Could not find Flink application ({match[1]})"
            return 500, {
                "errors": ["Internal server error.", f"<Exception on server side:\n{stack(missing)}"]
            }
        jobs = applications[match[1]]
        return 200, application_exceptions(jobs) if match[2] else application_view(jobs)

    def _run(self, body: dict[str, Any]) -> tuple[int, Any]:
        if self.submit_error:
            error = stack(
                "org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.",
                "org.apache.flink.util.FlinkRuntimeException: Could not execute application.",
                f"{PROGRAM_INVOCATION}: The main method caused an error: {self.submit_error}",
                f"java.lang.IllegalArgumentException: {self.submit_error}",
            )
            return 500, {"errors": [error]}
        job_id = body.get("jobId") or uuid.uuid4().hex
        if job_id in self.jobs:
            return 500, {"errors": [stack(f"{DUPLICATE}: Job has already been submitted. {job_id}")]}
        self.jobs[job_id] = FakeJob(job_id, body)
        return 200, {"jobid": job_id}

    def _job(
        self, method: str, job: FakeJob, rest: str, query: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, Any]:
        if rest == "" and method == "PATCH":
            job.state = "CANCELED"
            return 202, {}
        if rest == "/status":
            return 200, {"status": job.state}
        if rest == "" and method == "GET":
            return 200, job.details()
        if rest == "/yarn-cancel":  # Flink cancels a job on this GET
            job.state = "CANCELED"
            return 202, {}
        if rest == "/exceptions":
            entries = [{"exceptionName": "x", "stacktrace": stack(job.failure)}] if job.failure else []
            entries += [
                {"exceptionName": cause.split(":")[0], "stacktrace": stack(cause), "timestamp": at}
                for at, cause in reversed(job.history)
            ]
            return 200, {"exceptionHistory": {"entries": entries}}
        if rest == "/checkpoints":
            latest = job.checkpoints[-1] if job.checkpoints else None
            counts = {"completed": len(job.checkpoints), "failed": job.failed_checkpoints}
            history = list(reversed(job.checkpoints))[:10]  # web.checkpoints.history: newest first
            return 200, {"counts": counts, "latest": {"completed": latest}, "history": history}
        if rest == "/metrics":
            return 200, {"value": []}
        if match := re.fullmatch(r"/vertices/(\w+)/subtasks/metrics", rest):
            return 200, self._vertex_metrics(job, match[1], query)
        if match := re.fullmatch(r"/vertices/(\w+)/(metrics|watermarks)", rest):  # Flink's UI polls these
            return 200, self._vertex_watermarks(job) if match[2] == "watermarks" else []
        if rest in ("/stop", "/savepoints") and method == "POST":
            if job.state != "RUNNING":
                return 409, {"errors": [f"Job {job.job_id} is not running"]}
            target = body.get("targetDirectory") or body.get("target-directory")
            trigger = self._settle_trigger(body.get("triggerId"), target, for_stop=rest == "/stop", job=job)
            return 202, {"request-id": trigger}
        if match := re.fullmatch(r"/savepoints/(\w+)", rest):
            if match[1] not in self.triggers:
                return 404, {"errors": [f"Operation not found under key: {match[1]}"]}
            return 200, self.triggers[match[1]]
        return 404, {"errors": ["Not found"]}

    def _vertex_metrics(self, job: FakeJob, vertex: str, query: dict[str, str]) -> list[dict[str, Any]]:
        records_in, records_out = job.records.get(vertex, (0, 0))
        known = {"numRecordsIn": float(records_in), "numRecordsOut": float(records_out)}
        if vertex == SOURCE:
            known.update(job.metrics)
        if "get" not in query:
            return [{"id": name} for name in known]
        agg = query.get("agg", "sum")
        return [{"id": name, agg: known[name]} for name in query["get"].split(",") if name in known]

    def _vertex_watermarks(self, job: FakeJob) -> list[dict[str, Any]]:
        """``GET /jobs/:id/vertices/:v/watermarks``: each subtask's input watermark (none yet)."""
        parallelism = int(job.body.get("parallelism", 1))
        return [
            {"id": f"{index}.currentInputWatermark", "value": "-9223372036854775808"}
            for index in range(parallelism)
        ]

    def _settle_trigger(
        self, trigger: str | None, target: str | None, *, for_stop: bool, job: FakeJob | None = None
    ) -> str:
        trigger = trigger or uuid.uuid4().hex
        if self.savepoint_errors:
            cause = {
                "class": "java.util.concurrent.CompletionException",
                "stack-trace": stack(self.savepoint_errors.pop(0)),
            }
            self.triggers[trigger] = {"status": {"id": "COMPLETED"}, "operation": {"failure-cause": cause}}
            return trigger
        location = f"{target}/savepoint-{trigger[:6]}"
        self.triggers[trigger] = {"status": {"id": "COMPLETED"}, "operation": {"location": location}}
        if job is not None and for_stop:
            job.state = "FINISHED"
        return trigger


def _not_found(job_id: str) -> str:
    return f"org.apache.flink.runtime.messages.FlinkJobNotFoundException: Could not find Flink job ({job_id})"


def _handler(fake: FakeFlink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self, method: str) -> None:
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body: dict[str, Any] = {}
            if raw and self.headers.get("Content-Type", "").startswith("application/json"):
                body = json.loads(raw)
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            status, answer = fake.handle(method, url.path, query, body)
            html = isinstance(answer, str)
            data = answer.encode() if html else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html" if html else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PATCH(self) -> None:
            self._serve("PATCH")

    return Handler
