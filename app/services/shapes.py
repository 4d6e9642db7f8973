"""Shape-driven conversions between the AWS input, update and description forms of a configuration.

All values here are in wire form (AWS member names, JSON-compatible), which is also how each
application version stores its configuration. The conversions follow botocore's shapes:
an input member ``X`` is described as ``X`` or ``XDescription``; an update member ``XUpdate``
(or ``XUpdates`` for a list) changes ``X``/``XDescription``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from botocore.model import ListShape, Shape, StructureShape

from api_models.service_model import service_model


@cache
def shape(name: str) -> Shape:
    """The botocore shape called ``name``."""
    return service_model().shape_for(name)


def _target_member(name: str, target: StructureShape) -> str | None:
    for candidate in (name, f"{name}Description"):
        if candidate in target.members:
            return candidate
    return None


def _base_name(update_member: str) -> str:
    if update_member.endswith("Updates"):
        return update_member.removesuffix("Updates") + "s"
    return update_member.removesuffix("Update")


def describe(value: Any, source: Shape, target: Shape) -> Any:
    """An input-form value of shape ``source`` in the description form of shape ``target``."""
    if isinstance(source, StructureShape) and isinstance(target, StructureShape) and isinstance(value, dict):
        described: dict[str, Any] = {}
        for key, item in value.items():
            member = _target_member(key, target) if key in source.members else None
            if member is not None:
                described[member] = describe(item, source.members[key], target.members[member])
        return described
    if isinstance(source, ListShape) and isinstance(target, ListShape) and isinstance(value, list):
        return [describe(item, source.member, target.member) for item in value]
    return value


def merge_update(
    current: dict[str, Any], update: dict[str, Any], source: Shape, target: Shape
) -> dict[str, Any]:
    """``current`` (description form of ``target``) with the update-form ``update`` applied."""
    assert isinstance(source, StructureShape) and isinstance(target, StructureShape)
    merged = dict(current)
    for key, item in update.items():
        if key not in source.members:
            continue
        member = _target_member(_base_name(key), target)
        if member is None:
            continue
        update_shape, target_shape = source.members[key], target.members[member]
        if (
            update_shape.name != target_shape.name
            and isinstance(update_shape, StructureShape)
            and isinstance(target_shape, StructureShape)
            and _is_update_shape(update_shape)
        ):
            merged[member] = merge_update(dict(merged.get(member) or {}), item, update_shape, target_shape)
        else:
            merged[member] = describe(item, update_shape, target_shape)
    return merged


def _is_update_shape(candidate: StructureShape) -> bool:
    return candidate.name.endswith("Update")
