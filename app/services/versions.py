"""Version history of an application: ListApplicationVersions, DescribeApplicationVersion."""

from __future__ import annotations

from api_models import errors
from api_models.models import (
    ApplicationVersionSummary,
    DescribeApplicationVersionRequest,
    DescribeApplicationVersionResponse,
    ListApplicationVersionsRequest,
    ListApplicationVersionsResponse,
)
from app.services.common import (
    DEFAULT_PAGE_SIZE,
    get_application,
    next_page_token,
    parse_int_token,
    repository,
    require_flink,
)
from app.services.context import RequestContext
from app.services.details import application_detail


def list_application_versions(
    ctx: RequestContext, request: ListApplicationVersionsRequest
) -> ListApplicationVersionsResponse:
    """Every version, oldest first; a superseded version reports the status it had when replaced."""
    application = get_application(ctx, request.application_name)
    require_flink(application, "ListApplicationVersions")
    limit = request.limit or DEFAULT_PAGE_SIZE
    rows = repository(ctx).versions_page(
        application, after_version=parse_int_token(request.next_token), limit=limit + 1
    )
    summaries = [
        ApplicationVersionSummary.model_validate(
            {
                "ApplicationVersionId": row.version_id,
                "ApplicationStatus": application.status
                if row.version_id == application.current_version_id
                else row.status,
            }
        )
        for row in rows[:limit]
    ]
    next_token = next_page_token(rows, limit, lambda row: row.version_id)
    return ListApplicationVersionsResponse(application_version_summaries=summaries, next_token=next_token)


def describe_application_version(
    ctx: RequestContext, request: DescribeApplicationVersionRequest
) -> DescribeApplicationVersionResponse:
    """The application as it was at one version."""
    application = get_application(ctx, request.application_name)
    require_flink(application, "DescribeApplicationVersion")
    version = repository(ctx).version(application, request.application_version_id)
    if version is None:
        raise errors.ResourceNotFoundException(
            f"Application version {request.application_version_id} of application "
            f"{application.application_name} is not found"
        )
    return DescribeApplicationVersionResponse(
        application_version_detail=application_detail(application, version)
    )
