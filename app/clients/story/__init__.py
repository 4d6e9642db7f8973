"""The walk through the API that the Postman collection runs, and the example bodies the OpenAPI shows.

One Flink application is created, described, updated, given and relieved of configuration options,
tagged, its versions listed, then deleted; a SQL-1_0 application carries the SQL-only operations.
Requests that cannot succeed in this story (the application is never started, since msf-local would
really run it) assert the exact AWS error instead.

Bodies are JSON-like values in which ``{{name}}`` inside a string is a Postman variable and a
``Var("name")`` value is a variable whose value is a JSON number (written without quotes).
"""

from __future__ import annotations

import re
from typing import Any

from app.clients.story.applications import APPLICATIONS, CONFIGURATION_OPTIONS, TAGS, VERSIONS
from app.clients.story.lifecycle import CLEAN_UP, LIFECYCLE
from app.clients.story.model import Folder, Step, Var
from app.clients.story.snapshots import APPLICATION_SNAPSHOTS, SNAPSHOTS
from app.clients.story.sql import SQL_APPLICATIONS

STORY: tuple[Folder, ...] = (
    APPLICATIONS,
    CONFIGURATION_OPTIONS,
    TAGS,
    VERSIONS,
    LIFECYCLE,
    APPLICATION_SNAPSHOTS,
    SNAPSHOTS,
    SQL_APPLICATIONS,
    CLEAN_UP,
)

# What the variables stand for in the OpenAPI examples (Swagger UI's "Try it out" starts from these).
EXAMPLE_VALUES: dict[str, Any] = {
    "applicationName": "my-app",
    "accountId": "123456789012",
    "region": "us-east-1",
    "applicationArn": "arn:aws:kinesisanalytics:us-east-1:123456789012:application/my-app",
    "applicationVersionId": 1,
    "sqlApplicationVersionId": 1,
    "createTimestamp": 1700000000,
    "sqlCreateTimestamp": 1700000000,
    "conditionalToken": "c29tZS10b2tlbg==",
    "operationId": "a1B2c3D4e5F6",
    "cloudWatchLoggingOptionId": "2.1",
    "vpcConfigurationId": "2.1",
    "inputId": "2.1",
    "outputId": "2.1",
    "referenceId": "2.1",
}

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def steps() -> list[Step]:
    """Every step of the walk, in order."""
    return [step for folder in STORY for step in folder.steps]


def example_body(operation: str) -> dict[str, Any]:
    """The first body the walk sends to ``operation``, with example values for its variables."""

    def render(value: Any) -> Any:
        if isinstance(value, Var):
            return EXAMPLE_VALUES[value.name]
        if isinstance(value, str):
            return _PLACEHOLDER.sub(lambda match: str(EXAMPLE_VALUES[match.group(1)]), value)
        if isinstance(value, dict):
            return {key: render(item) for key, item in value.items()}
        if isinstance(value, list):
            return [render(item) for item in value]
        return value

    body = next(step.body for step in steps() if step.operation == operation)
    rendered: dict[str, Any] = render(body)
    return rendered


def covered_operations() -> set[str]:
    """The operations the walk calls at least once."""
    return {step.operation for step in steps()}
