"""The four ``AWS::KinesisAnalyticsV2::*`` resource types, registered with the embedded moto's CloudFormation.

moto's CloudFormation finds resource types among the direct subclasses of its ``CloudFormationModel``;
each class here is one, and hands the work to a :class:`~app.cloudformation.provisioner.Provisioner`
for the stack's account and Region. Which msf-local serves the stack comes from
:data:`app.cloudformation.context.CURRENT`, set around every request the gateway hands to moto.

``Ref`` and ``Fn::GetAtt`` follow the resource schemas: an Application's ``Ref`` is its name and it has
no attributes; the three sub-resources' ``Ref`` and ``Fn::GetAtt … Id`` are the id the API gave them
(CloudWatchLoggingOptionId, OutputId, ReferenceId). ``ApplicationName`` (and an Application's
``ApplicationMode``) cannot change in place: such an update replaces the resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
from moto.core.common_models import CloudFormationModel

from app.cloudformation.context import CURRENT
from app.cloudformation.provisioner import (
    LOGGING_OPTION,
    OUTPUT,
    REFERENCE_DATA_SOURCE,
    Provisioner,
    ProvisioningError,
    SubResource,
)
from app.cloudformation.shapes import TemplateError


def _provisioner(account_id: str, region: str) -> Provisioner:
    settings = CURRENT.get()
    if settings is None:
        raise ValidationError(
            message="AWS::KinesisAnalyticsV2 resources are provisioned through msf-local's endpoint"
        )
    return Provisioner(settings, account_id, region)


def _failed(logical: str, exc: Exception) -> ValidationError:
    return ValidationError(message=f"Resource {logical} failed: {exc}")


def _properties(cloudformation_json: Mapping[str, Any]) -> dict[str, Any]:
    return dict(cloudformation_json.get("Properties") or {})


class _Provisioned:
    """A provisioned resource as the stack remembers it: its physical id and the properties it has."""

    def __init__(self, identifier: str, properties: dict[str, Any]) -> None:
        self.identifier = identifier
        self.properties = properties

    @property
    def physical_resource_id(self) -> str:
        return self.identifier


class KinesisAnalyticsV2Application(_Provisioned, CloudFormationModel):
    """``AWS::KinesisAnalyticsV2::Application``: an application in msf-local's store (its id is its name)."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ApplicationName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::KinesisAnalyticsV2::Application"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> KinesisAnalyticsV2Application:
        properties = _properties(cloudformation_json)
        try:
            _provisioner(account_id, region_name).create_application(resource_name, properties)
        except (ProvisioningError, TemplateError) as exc:
            raise _failed(kwargs.get("LogicalId", resource_name), exc) from exc
        return cls(resource_name, properties)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: KinesisAnalyticsV2Application,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> KinesisAnalyticsV2Application:
        old, new = original_resource.properties, _properties(cloudformation_json)
        named = "ApplicationName" in new or "ApplicationName" in old
        replaced = (named and new_resource_name != original_resource.identifier) or (
            new.get("ApplicationMode") != old.get("ApplicationMode")
        )
        provisioner = _provisioner(account_id, region_name)
        name = new_resource_name if replaced else original_resource.identifier
        try:
            if replaced:
                provisioner.create_application(name, new)
                provisioner.delete_application(original_resource.identifier)
            else:
                provisioner.update_application(name, old, new)
        except (ProvisioningError, TemplateError) as exc:
            raise _failed(name, exc) from exc
        return cls(name, new)

    def delete(self, account_id: str, region_name: str) -> None:
        try:
            _provisioner(account_id, region_name).delete_application(self.identifier)
        except (ProvisioningError, TemplateError) as exc:
            raise _failed(self.identifier, exc) from exc


class _ApplicationPart(_Provisioned):
    """What the three sub-resource types share: a value added to a named application under an id."""

    kind: ClassVar[SubResource]

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "Id":
            return self.identifier
        raise UnformattedGetAttTemplateException()

    @classmethod
    def _add(cls, properties: dict[str, Any], account_id: str, region: str) -> Any:
        name, value = properties.get("ApplicationName"), properties.get(cls.kind.member)
        if not isinstance(name, str) or not isinstance(value, Mapping):
            raise ValidationError(message=f"ApplicationName and {cls.kind.member} are required")
        identifier = _provisioner(account_id, region).add_sub_resource(cls.kind, name, value)
        return cls(identifier, properties)

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        try:
            return cls._add(_properties(cloudformation_json), account_id, region_name)
        except (ProvisioningError, TemplateError) as exc:
            raise _failed(kwargs.get("LogicalId", resource_name), exc) from exc

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: _ApplicationPart,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        old, new = original_resource.properties, _properties(cloudformation_json)
        provisioner = _provisioner(account_id, region_name)
        try:
            if new.get("ApplicationName") != old.get("ApplicationName"):
                added = cls._add(new, account_id, region_name)
                original_resource.delete(account_id, region_name)
                return added
            provisioner.update_sub_resource(
                cls.kind, new["ApplicationName"], original_resource.identifier, new[cls.kind.member]
            )
        except (ProvisioningError, TemplateError) as exc:
            raise _failed(original_resource.identifier, exc) from exc
        return cls(original_resource.identifier, new)

    def delete(self, account_id: str, region_name: str) -> None:
        try:
            _provisioner(account_id, region_name).delete_sub_resource(
                self.kind, self.properties["ApplicationName"], self.identifier
            )
        except (ProvisioningError, TemplateError) as exc:
            raise _failed(self.identifier, exc) from exc


class KinesisAnalyticsV2ApplicationCloudWatchLoggingOption(_ApplicationPart, CloudFormationModel):
    """``AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption``."""

    kind = LOGGING_OPTION

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption"


class KinesisAnalyticsV2ApplicationOutput(_ApplicationPart, CloudFormationModel):
    """``AWS::KinesisAnalyticsV2::ApplicationOutput`` (SQL-1_0 applications)."""

    kind = OUTPUT

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::KinesisAnalyticsV2::ApplicationOutput"


class KinesisAnalyticsV2ApplicationReferenceDataSource(_ApplicationPart, CloudFormationModel):
    """``AWS::KinesisAnalyticsV2::ApplicationReferenceDataSource`` (SQL-1_0 applications)."""

    kind = REFERENCE_DATA_SOURCE

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::KinesisAnalyticsV2::ApplicationReferenceDataSource"
