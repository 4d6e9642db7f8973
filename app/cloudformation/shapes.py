"""CloudFormation properties → kinesisanalyticsv2 request members, driven by botocore's service model.

Template values arrive as CloudFormation resolved them: numbers and booleans from parameters are
strings, ``ZipFileContent`` is base64 text. :func:`coerce` turns them into what the API shape says.
:func:`to_update` turns a create-shape section (``FlinkApplicationConfiguration``) into its update
shape (``FlinkApplicationConfigurationUpdate``) by the model's own naming: member ``X`` becomes ``XUpdate``
(or ``XUpdates`` for lists, ``Inputs`` → ``InputUpdates``, ``EnvironmentProperties`` →
``EnvironmentPropertyUpdates``); list elements that the update identifies by id (``InputId``,
``VpcConfigurationId``, …) take the ids of the current description, in order.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from functools import cache
from typing import Any

SERVICE = "kinesisanalyticsv2"


class TemplateError(ValueError):
    """A template value that cannot be turned into the request the API needs."""


@cache
def _model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(SERVICE)


def shape(name: str) -> Any:
    """The botocore shape called ``name``."""
    return _model().shape_for(name)


def input_member(operation: str, member: str) -> Any:
    """The shape of ``member`` of ``operation``'s input."""
    return _model().operation_model(operation).input_shape.members[member]


def coerce(target: Any, value: Any, path: str = "") -> Any:
    """``value`` with strings turned into the integers, booleans and bytes ``target`` (a shape) wants."""
    kind = target.type_name
    if kind == "structure":
        if not isinstance(value, Mapping):
            raise TemplateError(f"{path or 'value'} must be an object")
        return {
            key: coerce(target.members[key], item, f"{path}.{key}".lstrip("."))
            if key in target.members
            else item
            for key, item in value.items()
        }
    if kind == "list":
        if not isinstance(value, list):
            raise TemplateError(f"{path} must be a list")
        return [coerce(target.member, item, f"{path}[{index}]") for index, item in enumerate(value)]
    if kind == "map":
        return {str(key): coerce(target.value, item, f"{path}.{key}") for key, item in dict(value).items()}
    return _scalar(kind, value, path)


def _scalar(kind: str, value: Any, path: str) -> Any:
    if kind in ("integer", "long") and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise TemplateError(f"{path} must be an integer, not {value!r}") from None
    if kind == "boolean" and isinstance(value, str):
        if value.lower() not in ("true", "false"):
            raise TemplateError(f"{path} must be true or false, not {value!r}")
        return value.lower() == "true"
    if kind == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            raise TemplateError(f"{path} must be base64-encoded") from None
    if kind == "string" and isinstance(value, (int, float, bool)):
        return str(value).lower() if isinstance(value, bool) else str(value)
    return value


def update_name(member: str, update: Any) -> str:
    """The member of the update shape ``update`` that carries the create member ``member``."""
    candidates = [member + "Update", member + "Updates", member]
    if member.endswith("ies"):
        candidates.insert(0, member[:-3] + "yUpdates")
    elif member.endswith("s"):
        candidates.insert(0, member[:-1] + "Updates")
    for candidate in candidates:
        if candidate in update.members:
            return str(candidate)
    raise TemplateError(f"{member} cannot be updated in place")


def to_update(create: Any, update: Any, value: Any, ids: Mapping[str, list[str]], path: str = "") -> Any:
    """The update-shape form of ``value`` (shaped as ``create``); ``ids`` lists current ids by id member."""
    if create.name == update.name or create.type_name != update.type_name:
        return value
    if create.type_name == "list":
        return _list_update(create, update, value, ids, path)
    if create.type_name != "structure":
        return value
    converted: dict[str, Any] = {}
    for key, item in value.items():
        if key not in create.members:
            raise TemplateError(f"{path}{key} is not a property msf-local knows")
        name = update_name(key, update)
        converted[name] = to_update(create.members[key], update.members[name], item, ids, f"{path}{key}.")
    return converted


def _list_update(create: Any, update: Any, value: list[Any], ids: Mapping[str, list[str]], path: str) -> Any:
    element_create, element_update = create.member, update.member
    if element_update.type_name != "structure" or element_create.type_name != "structure":
        return value
    id_members = [m for m in element_update.required_members if m not in element_create.members]
    if not id_members:
        return [to_update(element_create, element_update, item, ids, path) for item in value]
    (id_member,) = id_members
    current = ids.get(id_member, [])
    if len(current) != len(value):
        raise TemplateError(
            f"{path.rstrip('.')} cannot change from {len(current)} to {len(value)} entries in an update"
        )
    return [
        {id_member: identifier, **to_update(element_create, element_update, item, ids, path)}
        for identifier, item in zip(current, value, strict=True)
    ]
