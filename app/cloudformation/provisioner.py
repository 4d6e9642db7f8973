"""What CloudFormation's kinesisanalyticsv2 handlers do, done through msf-local's own API.

Every call goes to this server's kinesisanalyticsv2 endpoint in the stack's account and Region, so a
stack's applications are the applications every other client sees (one store, no copy) and pass the
same validation. The handlers follow AWS's resource provider: create calls CreateApplication (and
UpdateApplicationMaintenanceConfiguration) and never starts the application; update calls
UpdateApplication with the changed sections — the runtime in place, and the template's RunConfiguration
when the application is RUNNING — then the maintenance window and the tags; delete calls
DeleteApplication whatever the status, without a StopApplication. After each change the handler waits
(bounded) until the application is no longer in a transient status, as CloudFormation's stabilization does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError

from app.cloudformation.shapes import TemplateError, coerce, input_member, shape, to_update
from app.settings import AuthMode, Settings

STABLE_STATUSES = frozenset({"READY", "RUNNING"})
STABILIZE_SECONDS = 50.0
"""Bound on the wait for a changed application to settle (the CLI's own read timeout is 60 s)."""
_POLL_INTERVAL = 0.2
_CREATE_MEMBERS = (
    "ApplicationDescription",
    "RuntimeEnvironment",
    "ServiceExecutionRole",
    "ApplicationConfiguration",
    "ApplicationMode",
    "Tags",
)


class ProvisioningError(RuntimeError):
    """A handler step that did not succeed; the message names the kinesisanalyticsv2 error."""


def _api_error(exc: ClientError) -> ProvisioningError:
    error = exc.response.get("Error", {})
    return ProvisioningError(f"{error.get('Code', 'Error')}: {error.get('Message', '')}")


class Provisioner:
    """Runs the handlers in one account and Region against this server's kinesisanalyticsv2 API."""

    def __init__(self, settings: Settings, account_id: str, region: str) -> None:
        self.settings = settings
        self.account_id = account_id
        self.region = region
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            from app.services.aws import aws_endpoint_url

            key_id, secret = self._credentials()
            self._client = boto3.client(
                "kinesisanalyticsv2",
                endpoint_url=aws_endpoint_url(self.settings),
                region_name=self.region,
                aws_access_key_id=key_id,
                aws_secret_access_key=secret,
                config=Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=60),
            )
        return self._client

    def _credentials(self) -> tuple[str, str]:
        """Accept mode: the account id as the key. Strict mode: a configured key acting in the account."""
        from app.services.aws import EMBEDDED_SECRET_KEY

        if self.settings.auth is not AuthMode.STRICT:
            return self.account_id, EMBEDDED_SECRET_KEY
        for key_id, key in self.settings.access_keys.items():
            if key.account_id == self.account_id or (key.account_id is None and key_id == self.account_id):
                return key_id, key.secret_access_key
        raise ProvisioningError(f"no access key in the credentials file acts in account {self.account_id}")

    def call(self, operation: Callable[..., Any], **request: Any) -> Any:
        """One API call; its AWS error (or a request the model refuses) as a ProvisioningError."""
        try:
            return operation(**request)
        except ClientError as exc:
            raise _api_error(exc) from exc
        except ParamValidationError as exc:
            raise ProvisioningError(f"ValidationException: {exc}") from exc

    def describe(self, name: str) -> dict[str, Any] | None:
        """The application's description, or None once it does not exist."""
        try:
            detail: dict[str, Any] = self.client.describe_application(ApplicationName=name)[
                "ApplicationDetail"
            ]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise _api_error(exc) from exc
        return detail

    def existing(self, name: str) -> dict[str, Any]:
        detail = self.describe(name)
        if detail is None:
            raise ProvisioningError(f"ResourceNotFoundException: Application {name} is not found")
        return detail

    def stabilize(self, name: str) -> dict[str, Any]:
        """Wait (bounded) until the application is READY or RUNNING; its description."""
        deadline = time.monotonic() + STABILIZE_SECONDS
        while True:
            detail = self.existing(name)
            if detail["ApplicationStatus"] in STABLE_STATUSES:
                return detail
            if time.monotonic() >= deadline:
                status = detail["ApplicationStatus"]
                raise ProvisioningError(f"{name} is still {status} after {STABILIZE_SECONDS:.0f} s")
            time.sleep(_POLL_INTERVAL)

    # ---- AWS::KinesisAnalyticsV2::Application ---------------------------------------------------

    def create_application(self, name: str, properties: Mapping[str, Any]) -> None:
        request = {key: properties[key] for key in _CREATE_MEMBERS if key in properties}
        request = coerce(shape("CreateApplicationRequest"), {"ApplicationName": name, **request})
        self.call(self.client.create_application, **request)
        self._maintenance(name, properties, None)
        self.stabilize(name)

    def update_application(self, name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        detail = self.stabilize(name)
        request: dict[str, Any] = {}
        configuration = self._configuration_update(detail, old.get("ApplicationConfiguration") or {}, new)
        if configuration:
            request["ApplicationConfigurationUpdate"] = configuration
        if new.get("RuntimeEnvironment") != detail["RuntimeEnvironment"]:
            request["RuntimeEnvironmentUpdate"] = new["RuntimeEnvironment"]
        if new.get("ServiceExecutionRole") != detail.get("ServiceExecutionRole"):
            request["ServiceExecutionRoleUpdate"] = new["ServiceExecutionRole"]
        if request and detail["ApplicationStatus"] == "RUNNING" and new.get("RunConfiguration"):
            run = new["RunConfiguration"]
            request["RunConfigurationUpdate"] = coerce(
                input_member("UpdateApplication", "RunConfigurationUpdate"), run
            )
        if request:
            self.call(
                self.client.update_application,
                ApplicationName=name,
                CurrentApplicationVersionId=detail["ApplicationVersionId"],
                **request,
            )
            detail = self.stabilize(name)
        self._maintenance(name, new, old)
        self._retag(detail["ApplicationARN"], old.get("Tags") or [], new.get("Tags") or [])

    def _configuration_update(
        self, detail: Mapping[str, Any], old: Mapping[str, Any], new: Mapping[str, Any]
    ) -> dict[str, Any]:
        """ApplicationConfigurationUpdate for the sections whose template value changed."""
        sections = new.get("ApplicationConfiguration") or {}
        changed = {key: value for key, value in sections.items() if old.get(key) != value}
        if not changed:
            return {}
        create = shape("ApplicationConfiguration")
        typed = coerce(create, changed, "ApplicationConfiguration")
        described = detail.get("ApplicationConfigurationDescription") or {}
        sql = described.get("SqlApplicationConfigurationDescription") or {}
        ids = {
            "VpcConfigurationId": [
                v["VpcConfigurationId"] for v in described.get("VpcConfigurationDescriptions", [])
            ],
            "InputId": [i["InputId"] for i in sql.get("InputDescriptions", [])],
            "OutputId": [o["OutputId"] for o in sql.get("OutputDescriptions", [])],
            "ReferenceId": [r["ReferenceId"] for r in sql.get("ReferenceDataSourceDescriptions", [])],
        }
        try:
            update: dict[str, Any] = to_update(create, shape("ApplicationConfigurationUpdate"), typed, ids)
        except TemplateError as exc:
            raise ProvisioningError(f"ApplicationConfiguration: {exc}") from exc
        return update

    def _maintenance(self, name: str, new: Mapping[str, Any], old: Mapping[str, Any] | None) -> None:
        wanted = new.get("ApplicationMaintenanceConfiguration")
        if wanted and wanted != (old or {}).get("ApplicationMaintenanceConfiguration"):
            self.call(
                self.client.update_application_maintenance_configuration,
                ApplicationName=name,
                ApplicationMaintenanceConfigurationUpdate={
                    "ApplicationMaintenanceWindowStartTimeUpdate": wanted[
                        "ApplicationMaintenanceWindowStartTime"
                    ]
                },
            )

    def _retag(self, arn: str, old: list[dict[str, str]], new: list[dict[str, str]]) -> None:
        before = {tag["Key"]: tag["Value"] for tag in old}
        after = {tag["Key"]: tag["Value"] for tag in new}
        removed = sorted(set(before) - set(after))
        if removed:
            self.call(self.client.untag_resource, ResourceARN=arn, TagKeys=removed)
        changed = [{"Key": k, "Value": v} for k, v in after.items() if before.get(k) != v]
        if changed:
            self.call(self.client.tag_resource, ResourceARN=arn, Tags=changed)

    def delete_application(self, name: str) -> None:
        """DeleteApplication in any status (a RUNNING job is stopped by the control loop); gone after."""
        detail = self.describe(name)
        if detail is None:
            return
        try:
            self.client.delete_application(ApplicationName=name, CreateTimestamp=detail["CreateTimestamp"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise _api_error(exc) from exc

    # ---- sub-resources: CloudWatch logging option, SQL output, SQL reference data source ---------

    def add_sub_resource(self, kind: SubResource, name: str, value: Mapping[str, Any]) -> str:
        """Add one sub-resource to the application; the id it got."""
        detail = self.stabilize(name)
        before = kind.ids(detail)
        typed = coerce(input_member(kind.add_operation, kind.member), value, kind.member)
        operation = getattr(self.client, _snake(kind.add_operation))
        self.call(
            operation,
            ApplicationName=name,
            CurrentApplicationVersionId=detail["ApplicationVersionId"],
            **{kind.member: typed},
        )
        added = [identifier for identifier in kind.ids(self.stabilize(name)) if identifier not in before]
        if len(added) != 1:
            raise ProvisioningError(f"{kind.add_operation} on {name} did not add exactly one {kind.member}")
        return added[0]

    def update_sub_resource(
        self, kind: SubResource, name: str, identifier: str, value: Mapping[str, Any]
    ) -> None:
        """UpdateApplication with the sub-resource's new value under its id."""
        detail = self.stabilize(name)
        typed = coerce(input_member(kind.add_operation, kind.member), value, kind.member)
        try:
            changed = to_update(shape(kind.member), shape(kind.update_shape), typed, {})
        except TemplateError as exc:
            raise ProvisioningError(f"{kind.member}: {exc}") from exc
        self.call(
            self.client.update_application,
            ApplicationName=name,
            CurrentApplicationVersionId=detail["ApplicationVersionId"],
            **kind.wrap_update({kind.id_member: identifier, **changed}),
        )
        self.stabilize(name)

    def delete_sub_resource(self, kind: SubResource, name: str, identifier: str) -> None:
        """Remove the sub-resource; nothing to do when it, or its application, is already gone."""
        detail = self.describe(name)
        if detail is None or identifier not in kind.ids(detail):
            return
        detail = self.stabilize(name)
        operation = getattr(self.client, _snake(kind.delete_operation))
        self.call(
            operation,
            ApplicationName=name,
            CurrentApplicationVersionId=detail["ApplicationVersionId"],
            **{kind.id_member: identifier},
        )
        self.stabilize(name)


@dataclass(frozen=True)
class SubResource:
    """How one kind of sub-resource is added, found, updated and deleted through the API."""

    member: str
    add_operation: str
    delete_operation: str
    id_member: str
    describe: Callable[[Mapping[str, Any]], list[Mapping[str, Any]]]
    update_path: tuple[str, ...]
    update_shape: str

    def ids(self, detail: Mapping[str, Any]) -> list[str]:
        return [str(item[self.id_member]) for item in self.describe(detail)]

    def wrap_update(self, item: dict[str, Any]) -> dict[str, Any]:
        """``{"A": {"B": [item]}}`` for update path ``("A", "B")``."""
        wrapped: Any = [item]
        for key in reversed(self.update_path):
            wrapped = {key: wrapped}
        result: dict[str, Any] = wrapped
        return result


def _sql(detail: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    configuration = detail.get("ApplicationConfigurationDescription") or {}
    found: list[Mapping[str, Any]] = (configuration.get("SqlApplicationConfigurationDescription") or {}).get(
        key, []
    )
    return found


LOGGING_OPTION = SubResource(
    member="CloudWatchLoggingOption",
    add_operation="AddApplicationCloudWatchLoggingOption",
    delete_operation="DeleteApplicationCloudWatchLoggingOption",
    id_member="CloudWatchLoggingOptionId",
    describe=lambda detail: list(detail.get("CloudWatchLoggingOptionDescriptions", [])),
    update_path=("CloudWatchLoggingOptionUpdates",),
    update_shape="CloudWatchLoggingOptionUpdate",
)
OUTPUT = SubResource(
    member="Output",
    add_operation="AddApplicationOutput",
    delete_operation="DeleteApplicationOutput",
    id_member="OutputId",
    describe=lambda detail: _sql(detail, "OutputDescriptions"),
    update_path=("ApplicationConfigurationUpdate", "SqlApplicationConfigurationUpdate", "OutputUpdates"),
    update_shape="OutputUpdate",
)
REFERENCE_DATA_SOURCE = SubResource(
    member="ReferenceDataSource",
    add_operation="AddApplicationReferenceDataSource",
    delete_operation="DeleteApplicationReferenceDataSource",
    id_member="ReferenceId",
    describe=lambda detail: _sql(detail, "ReferenceDataSourceDescriptions"),
    update_path=(
        "ApplicationConfigurationUpdate",
        "SqlApplicationConfigurationUpdate",
        "ReferenceDataSourceUpdates",
    ),
    update_shape="ReferenceDataSourceUpdate",
)


def _snake(operation: str) -> str:
    from botocore import xform_name

    return str(xform_name(operation))
