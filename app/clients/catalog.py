"""The operations grouped by resource family: OpenAPI tags and the Postman folders follow this grouping."""

from __future__ import annotations

from api_models.service_model import TARGET_PREFIX

FAMILIES: dict[str, tuple[str, ...]] = {
    "Applications": (
        "CreateApplication",
        "DescribeApplication",
        "ListApplications",
        "UpdateApplication",
        "UpdateApplicationMaintenanceConfiguration",
        "CreateApplicationPresignedUrl",
        "DeleteApplication",
    ),
    "Configuration options": (
        "AddApplicationCloudWatchLoggingOption",
        "DeleteApplicationCloudWatchLoggingOption",
        "AddApplicationVpcConfiguration",
        "DeleteApplicationVpcConfiguration",
    ),
    "Tags": ("TagResource", "UntagResource", "ListTagsForResource"),
    "Versions and operations": (
        "ListApplicationVersions",
        "DescribeApplicationVersion",
        "ListApplicationOperations",
        "DescribeApplicationOperation",
    ),
    "Lifecycle": ("StartApplication", "StopApplication", "RollbackApplication"),
    "Application snapshots": (
        "CreateApplicationSnapshot",
        "ListApplicationSnapshots",
        "DescribeApplicationSnapshot",
        "DeleteApplicationSnapshot",
    ),
    "Snapshots": (
        "CreateSnapshot",
        "ListSnapshots",
        "DescribeSnapshot",
        "ExportSnapshot",
        "ImportSnapshot",
        "DescribeSnapshotOperation",
        "ListSnapshotOperations",
        "DeleteSnapshot",
    ),
    "SQL applications": (
        "AddApplicationInput",
        "AddApplicationInputProcessingConfiguration",
        "DeleteApplicationInputProcessingConfiguration",
        "AddApplicationOutput",
        "DeleteApplicationOutput",
        "AddApplicationReferenceDataSource",
        "DeleteApplicationReferenceDataSource",
        "DiscoverInputSchema",
    ),
}

FAMILY_DESCRIPTIONS: dict[str, str] = {
    "Applications": "Create, describe, list, update and delete applications.",
    "Configuration options": "CloudWatch logging options and VPC configurations; each change is a version.",
    "Tags": "Tags on applications (and enhanced snapshots).",
    "Versions and operations": "The version history of an application and the operations run on it.",
    "Lifecycle": "Start, stop and roll back an application.",
    "Application snapshots": "Snapshots of a running application (legacy snapshot mode).",
    "Snapshots": "Account-scoped enhanced snapshots: create, import, export, delete and their operations.",
    "SQL applications": "Inputs, outputs and reference data of SQL-1_0 applications.",
}

FAMILY_OF: dict[str, str] = {op: family for family, ops in FAMILIES.items() for op in ops}


def target(operation: str) -> str:
    """The ``X-Amz-Target`` header value that names ``operation``."""
    return f"{TARGET_PREFIX}.{operation}"


def openapi_path(operation: str) -> str:
    """The OpenAPI path of ``operation``: ``POST /`` plus a fragment naming the target (never sent)."""
    return f"/#X-Amz-Target={target(operation)}"
