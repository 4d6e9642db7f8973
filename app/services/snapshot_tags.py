"""Tags of enhanced snapshots: TagResource, UntagResource and ListTagsForResource on a snapshot ARN.

``app.services.tags`` hands a request here when its ``ResourceARN`` names a snapshot
(``…:snapshot/<name>``); the rules are the applications' (50 user tags, unknown keys ignored on untag).
"""

from __future__ import annotations

from sqlalchemy import select

from api_models import errors
from api_models.models import Tag
from app.db.models import EnhancedSnapshotRow
from app.db.repositories import lock_for_write
from app.services.context import RequestContext


def is_snapshot_arn(arn: str) -> bool:
    """Whether ``arn`` names an enhanced snapshot rather than an application."""
    return arn.startswith("arn:") and ":snapshot/" in arn


def put_tags(ctx: RequestContext, arn: str, tags: dict[str, str], limit: int) -> bool:
    """Add or overwrite tags; False (and nothing written) if the snapshot would have more than ``limit``."""
    row = _snapshot(ctx, arn, for_change=True)
    merged = {**row.tags, **tags}
    if len(merged) > limit:
        return False
    row.tags = merged
    return True


def remove_tags(ctx: RequestContext, arn: str, keys: list[str]) -> None:
    row = _snapshot(ctx, arn, for_change=True)
    row.tags = {key: value for key, value in row.tags.items() if key not in keys}


def list_tags(ctx: RequestContext, arn: str) -> list[Tag]:
    row = _snapshot(ctx, arn)
    return [Tag(key=key, value=row.tags[key]) for key in sorted(row.tags)]


def _snapshot(ctx: RequestContext, arn: str, *, for_change: bool = False) -> EnhancedSnapshotRow:
    if for_change:
        lock_for_write(ctx.session)
    query = select(EnhancedSnapshotRow).where(
        EnhancedSnapshotRow.account_id == ctx.scope.account_id,
        EnhancedSnapshotRow.region == ctx.scope.region,
        EnhancedSnapshotRow.snapshot_arn == arn,
    )
    row = ctx.session.scalars(query.with_for_update() if for_change else query).one_or_none()
    if row is None:
        raise errors.ResourceNotFoundException(f"Resource {arn} is not found")
    return row
