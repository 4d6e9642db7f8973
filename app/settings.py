"""msf-local settings: one pydantic-settings class, environment prefix ``MSF_``."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.credentials import AccessKey, InternalKeys, read_credentials_file


class AuthMode(StrEnum):
    """How SigV4 signatures are treated."""

    ACCEPT = "accept"  # any signature; the scope is still derived from the credential scope
    STRICT = "strict"  # verify against the credentials file


class RuntimeKind(StrEnum):
    """Which runtime adapter runs applications."""

    EMBEDDED = "embedded"
    FAKE = "fake"


class FlinkMode(StrEnum):
    """How msf-local reaches a real Flink cluster."""

    LOCAL = "local"  # start and supervise a 127.0.0.1-only standalone cluster


class Settings(BaseSettings):
    """Every knob of msf-local; each is settable as ``MSF_<NAME>`` or by a CLI option."""

    model_config = SettingsConfigDict(env_prefix="MSF_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=4590, ge=0, le=65535, description="Port to listen on.")
    data_dir: Path = Field(default=Path("data"), description="Directory for the database, code and state.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///<data-dir>/msf-local.db. "
        "PostgreSQL: postgresql+psycopg://user:pass@host:port/db",
    )
    auth: AuthMode = Field(default=AuthMode.ACCEPT, description="SigV4 handling: accept (any) or strict.")
    credentials_file: Path | None = Field(
        default=None,
        description="JSON file for --auth strict: {access_key_id: {secret_access_key, account_id}}.",
    )
    default_account_id: str = Field(default="123456789012", pattern=r"^\d{12}$")
    default_region: str = Field(default="us-east-1")
    runtime: RuntimeKind = Field(default=RuntimeKind.EMBEDDED, description="Runtime adapter.")
    flink: FlinkMode | None = Field(
        default=None,
        description="Run Flink applications (JARs, PyFlink) on a local Flink cluster msf-local starts "
        "(local; needs pip install 'msf-local[flink]').",
    )
    flink_rest_url: str | None = Field(
        default=None, description="Run Flink applications on the existing Flink 2.3 cluster at this REST URL."
    )
    flink_rest_port: int = Field(default=8081, ge=1, le=65535, description="REST port of --flink local.")
    flink_rpc_port: int = Field(
        default=6123, ge=1, le=65535, description="JobManager RPC port of --flink local."
    )
    flink_slots: int = Field(
        default=2, ge=1, le=64, description="Task slots per TaskManager of --flink local."
    )
    flink_task_managers: int = Field(
        default=4,
        ge=1,
        le=32,
        description="Most TaskManagers --flink local starts (one at first, more as jobs need slots).",
    )
    aws_endpoint: str | None = Field(
        default=None,
        description="Endpoint for S3/Kinesis/CloudWatch Logs; default: the embedded moto behind this port.",
    )
    job_user: str = Field(
        default="nobody",
        description="When msf-local runs as root, applications' jobs run as this user (a name or uid) in "
        "their sandbox; empty: as msf-local's own user (see docs/security.md, Job sandbox).",
    )
    storage_per_kpu: int = Field(
        default=50 * 1024**3,
        gt=0,
        description="Bytes of running application storage per KPU (AWS: 50 GiB); an embedded job whose "
        "scratch directory outgrows KPUs x this fails with 'No space left on device'. A test/ops knob "
        "(MSF_STORAGE_PER_KPU); see docs/security.md, Job sandbox.",
    )
    control_interval: float = Field(default=0.5, gt=0, description="Seconds between control-loop ticks.")
    workers: int = Field(
        default=1,
        ge=1,
        description="HTTP worker processes. With more than one, the serve process itself migrates the "
        "database, runs the control loop (and so the applications' jobs) and hosts the embedded AWS "
        "services; the workers serve the API from the shared database.",
    )
    controller_url: str | None = Field(
        default=None,
        description="Set by `serve --workers N` in its HTTP workers: the serve process's private URL. "
        "Such a worker neither migrates nor runs the control loop, and forwards S3/Kinesis/Logs there.",
    )
    metrics_period: float = Field(
        default=60.0,
        gt=0,
        description="Seconds between publications of the AWS/KinesisAnalytics metrics (AWS: one minute).",
    )
    max_snapshots_per_application: int = Field(
        default=1000,
        gt=0,
        description="Application snapshots per application (AWS's quota: 1,000); system snapshots count too.",
    )
    max_body_bytes: int = Field(
        default=72 * 1024 * 1024,
        gt=0,
        description="Largest request body accepted (the default fits a 50 MiB ZipFileContent in base64).",
    )

    _access_keys: dict[str, AccessKey] = PrivateAttr(default_factory=dict)
    _internal_keys: InternalKeys | None = PrivateAttr(default=None)

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @model_validator(mode="after")
    def _read_access_keys(self) -> Settings:
        """--auth strict reads its credentials file here, once, so a missing or bad file fails at boot."""
        if self.auth is AuthMode.STRICT:
            if self.credentials_file is None:
                raise ValueError("--auth strict needs --credentials-file")
            self._access_keys = read_credentials_file(self.credentials_file)
        return self

    @property
    def access_keys(self) -> Mapping[str, AccessKey]:
        """Access key id → secret and account, from the credentials file (empty unless --auth strict)."""
        return self._access_keys

    @property
    def internal_keys(self) -> InternalKeys:
        """The per-account keys of msf-local's own and its jobs' S3/Kinesis/Logs/CloudWatch calls."""
        if self._internal_keys is None:
            self._internal_keys = InternalKeys(self.data_dir)
        return self._internal_keys

    def service_key(self, key_id: str) -> AccessKey | None:
        """A key the embedded AWS services take in strict mode: the credentials file's or an internal one."""
        return self._access_keys.get(key_id) or self.internal_keys.get(key_id)

    @property
    def effective_database_url(self) -> str:
        """The database URL in force: the configured one or SQLite in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'msf-local.db'}"
