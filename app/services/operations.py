"""Operation history of an application: ListApplicationOperations, DescribeApplicationOperation."""

from __future__ import annotations

from typing import Any

from api_models import errors
from api_models.models import (
    ApplicationOperationInfo,
    ApplicationOperationInfoDetails,
    DescribeApplicationOperationRequest,
    DescribeApplicationOperationResponse,
    ListApplicationOperationsRequest,
    ListApplicationOperationsResponse,
)
from app.db.models import OperationRow
from app.services.common import (
    DEFAULT_PAGE_SIZE,
    get_application,
    next_page_token,
    parse_int_token,
    repository,
    require_flink,
)
from app.services.context import RequestContext


def list_application_operations(
    ctx: RequestContext, request: ListApplicationOperationsRequest
) -> ListApplicationOperationsResponse:
    """Operations newest first, optionally filtered by operation name and status."""
    application = get_application(ctx, request.application_name)
    require_flink(application, "ListApplicationOperations")
    limit = request.limit or DEFAULT_PAGE_SIZE
    rows = repository(ctx).operations_page(
        application,
        after_id=parse_int_token(request.next_token),
        limit=limit + 1,
        operation=request.operation,
        status=request.operation_status.value if request.operation_status is not None else None,
    )
    infos = [
        ApplicationOperationInfo.model_validate(
            _without_none(
                {
                    "Operation": row.operation,
                    "OperationId": row.operation_id,
                    "StartTime": row.start_time,
                    "EndTime": row.end_time,
                    "OperationStatus": row.status,
                }
            )
        )
        for row in rows[:limit]
    ]
    next_token = next_page_token(rows, limit, lambda row: row.id)
    return ListApplicationOperationsResponse(application_operation_info_list=infos, next_token=next_token)


def describe_application_operation(
    ctx: RequestContext, request: DescribeApplicationOperationRequest
) -> DescribeApplicationOperationResponse:
    """One operation with its version change and failure details."""
    application = get_application(ctx, request.application_name)
    require_flink(application, "DescribeApplicationOperation")
    row = repository(ctx).operation(application, request.operation_id)
    if row is None:
        raise errors.ResourceNotFoundException(
            f"Operation {request.operation_id} of application {application.application_name} is not found"
        )
    return DescribeApplicationOperationResponse(application_operation_info_details=_details(row))


def _details(row: OperationRow) -> ApplicationOperationInfoDetails:
    values: dict[str, Any] = {
        "Operation": row.operation,
        "StartTime": row.start_time,
        "EndTime": row.end_time,
        "OperationStatus": row.status,
    }
    if row.version_updated_from is not None and row.version_updated_to is not None:
        values["ApplicationVersionChangeDetails"] = {
            "ApplicationVersionUpdatedFrom": row.version_updated_from,
            "ApplicationVersionUpdatedTo": row.version_updated_to,
        }
    if row.error_string is not None or row.rollback_operation_id is not None:
        values["OperationFailureDetails"] = _without_none(
            {
                "RollbackOperationId": row.rollback_operation_id,
                "ErrorInfo": {"ErrorString": row.error_string} if row.error_string is not None else None,
            }
        )
    if row.end_time is None:
        # The model marks EndTime required, but an operation in progress has not ended; clients
        # do not enforce output members, so the member is left out rather than invented.
        validated = ApplicationOperationInfoDetails.model_validate({**values, "EndTime": row.start_time})
        return validated.model_copy(update={"end_time": None})
    return ApplicationOperationInfoDetails.model_validate(values)


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
