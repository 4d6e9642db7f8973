"""Tagging of applications: TagResource, UntagResource, ListTagsForResource."""

from __future__ import annotations

from collections.abc import Sequence

from api_models import errors
from api_models.models import (
    ListTagsForResourceRequest,
    ListTagsForResourceResponse,
    Tag,
    TagResourceRequest,
    TagResourceResponse,
    UntagResourceRequest,
    UntagResourceResponse,
)
from app.db.models import ApplicationRow
from app.db.repositories import lock_for_write
from app.services.common import repository
from app.services.context import RequestContext
from app.services.snapshot_tags import is_snapshot_arn, list_tags, put_tags, remove_tags

MAX_USER_TAGS = 50
"""User tags per resource (the model allows 200 including system tags)."""


def unique_tags(tags: Sequence[Tag]) -> dict[str, str]:
    """Tags as key → value; a repeated key keeps its last value."""
    return {tag.key: tag.value or "" for tag in tags}


def too_many_tags() -> errors.TooManyTagsException:
    return errors.TooManyTagsException(
        f"Number of tags exceeds the limit of {MAX_USER_TAGS} user tags per resource"
    )


def _resource(ctx: RequestContext, arn: str, *, for_change: bool = False) -> ApplicationRow:
    """The application named by ``arn``; for a change, locked (see ``lock_for_write``)."""
    if for_change:
        lock_for_write(ctx.session)
    application = repository(ctx).find_by_arn(arn, for_update=for_change)
    if application is None:
        raise errors.ResourceNotFoundException(f"Resource {arn} is not found")
    return application


def tag_resource(ctx: RequestContext, request: TagResourceRequest) -> TagResourceResponse:
    """Add or overwrite tags; more than 50 user tags in total → TooManyTagsException."""
    if is_snapshot_arn(request.resource_arn):
        if not put_tags(ctx, request.resource_arn, unique_tags(request.tags), MAX_USER_TAGS):
            raise too_many_tags()
        return TagResourceResponse()
    application = _resource(ctx, request.resource_arn, for_change=True)
    repo = repository(ctx)
    wanted = unique_tags(request.tags)
    existing = {row.tag_key for row in repo.tags(application)}
    if len(existing | wanted.keys()) > MAX_USER_TAGS:
        raise too_many_tags()
    repo.put_tags(application, wanted)
    return TagResourceResponse()


def untag_resource(ctx: RequestContext, request: UntagResourceRequest) -> UntagResourceResponse:
    """Remove the named tag keys; keys that are not set are ignored."""
    if is_snapshot_arn(request.resource_arn):
        remove_tags(ctx, request.resource_arn, request.tag_keys)
        return UntagResourceResponse()
    application = _resource(ctx, request.resource_arn, for_change=True)
    repository(ctx).delete_tags(application, request.tag_keys)
    return UntagResourceResponse()


def list_tags_for_resource(
    ctx: RequestContext, request: ListTagsForResourceRequest
) -> ListTagsForResourceResponse:
    """The resource's tags, ordered by key."""
    if is_snapshot_arn(request.resource_arn):
        return ListTagsForResourceResponse(tags=list_tags(ctx, request.resource_arn))
    application = _resource(ctx, request.resource_arn)
    rows = repository(ctx).tags(application)
    return ListTagsForResourceResponse(tags=[Tag(key=row.tag_key, value=row.tag_value) for row in rows])
