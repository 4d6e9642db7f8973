"""Start, stop and roll back (all refused: the demo application never runs), and the final clean-up."""

from __future__ import annotations

from app.clients.story.demo import APP
from app.clients.story.model import Folder, Step, Var

LIFECYCLE = Folder(
    "Lifecycle",
    "The demo application is never started (msf-local would really run it), so these answer errors.",
    (
        Step(
            name="StartApplication (unknown application)",
            operation="StartApplication",
            body={
                "ApplicationName": "{{applicationName}}-never-created",
                "RunConfiguration": {
                    "ApplicationRestoreConfiguration": {
                        "ApplicationRestoreType": "RESTORE_FROM_LATEST_SNAPSHOT"
                    },
                    "FlinkRunConfiguration": {"AllowNonRestoredState": False},
                },
            },
            error="ResourceNotFoundException",
        ),
        Step(
            name="StopApplication (application not running)",
            operation="StopApplication",
            body={"ApplicationName": APP, "Force": False},
            error="ResourceInUseException",
        ),
        Step(
            name="RollbackApplication (application not running)",
            operation="RollbackApplication",
            body={"ApplicationName": APP, "CurrentApplicationVersionId": Var("applicationVersionId")},
            error="ResourceInUseException",
            pending=True,
        ),
    ),
)


CLEAN_UP = Folder(
    "Clean up",
    "Delete the demo application; afterwards it is gone.",
    (
        Step(
            name="DeleteApplication",
            operation="DeleteApplication",
            body={"ApplicationName": APP, "CreateTimestamp": Var("createTimestamp")},
        ),
        Step(
            name="DescribeApplication (deleted)",
            operation="DescribeApplication",
            body={"ApplicationName": APP},
            error="ResourceNotFoundException",
        ),
    ),
)
