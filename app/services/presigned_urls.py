"""CreateApplicationPresignedUrl: a signed link to the running application's job dashboard.

The link is served by msf-local itself (``app.web.dashboard``); see ``app.services.presign`` for
what the token carries and when it is refused.
"""

from __future__ import annotations

from api_models import errors
from api_models.models import (
    ApplicationStatus,
    CreateApplicationPresignedUrlRequest,
    CreateApplicationPresignedUrlResponse,
    UrlType,
)
from app.services.common import get_application, require_flink
from app.services.configuration.wire import is_zeppelin
from app.services.context import RequestContext
from app.services.presign import (
    DEFAULT_SESSION_S,
    DashboardGrant,
    TokenSigner,
    dashboard_url,
    load_secret,
    public_base_url,
)


def create_application_presigned_url(
    ctx: RequestContext, request: CreateApplicationPresignedUrlRequest
) -> CreateApplicationPresignedUrlResponse:
    """RUNNING Flink applications only; the session lasts ``SessionExpirationDurationInSeconds`` (12 h)."""
    application = get_application(ctx, request.application_name)
    require_flink(application, "CreateApplicationPresignedUrl")
    if request.url_type is UrlType.ZEPPELIN_UI_URL or is_zeppelin(application.runtime_environment):
        raise errors.InvalidArgumentException(
            f"UrlType {request.url_type.value} is not valid for application {application.application_name}: "
            "msf-local serves FLINK_DASHBOARD_URL for Apache Flink applications"
        )
    if application.status != ApplicationStatus.RUNNING.value:
        raise errors.ResourceInUseException(
            f"Application {application.application_name} is not running "
            f"(status {application.status}); the Flink dashboard exists only while it runs"
        )
    issued = int(ctx.clock().timestamp())
    duration = request.session_expiration_duration_in_seconds or DEFAULT_SESSION_S
    grant = DashboardGrant(
        application.application_arn, int(application.create_timestamp.timestamp()), issued, issued + duration
    )
    token = TokenSigner(load_secret(ctx.settings.data_dir)).link_token(grant)
    base = public_base_url(ctx.settings.host, ctx.settings.port)
    return CreateApplicationPresignedUrlResponse(
        authorized_url=dashboard_url(base, application.application_arn, token)
    )
