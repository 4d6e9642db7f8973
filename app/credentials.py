"""Access keys: the credentials file of ``--auth strict`` and the rule that maps a key to its account."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

_ACCOUNT_KEY = re.compile(r"\d{12}")


class AccessKey(BaseModel):
    """One access key's entry: the secret its signatures are made with and the account it acts in.

    Without ``account_id`` the key acts as in accept mode: a 12-digit key id is its own account,
    any other key the configured default account.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    secret_access_key: str = Field(min_length=1)
    account_id: str | None = Field(default=None, pattern=r"^\d{12}$")


_FILE = TypeAdapter(dict[str, AccessKey])


def read_credentials_file(path: Path) -> dict[str, AccessKey]:
    """Parse ``{"<access key id>": {"secret_access_key": ..., "account_id": ...}}``; ValueError if bad."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read credentials file {path}: {exc}") from None
    try:
        keys = _FILE.validate_python(document)
    except ValidationError as exc:
        raise ValueError(f"credentials file {path} is not valid: {exc}") from None
    if not keys:
        raise ValueError(f"credentials file {path} holds no access keys")
    return keys


class DefaultAccount(Protocol):
    """Anything that names the account unsigned and non-numeric keys act in (``Settings``)."""

    @property
    def default_account_id(self) -> str: ...


def account_for_key(access_key: str, settings: DefaultAccount) -> str:
    """A 12-digit access key id is the account itself; any other key acts in the default account."""
    return access_key if _ACCOUNT_KEY.fullmatch(access_key) else settings.default_account_id


INTERNAL_KEY_PREFIX = "MSFLOCAL"
"""Access key ids msf-local makes for its own and its jobs' calls: ``MSFLOCAL<account id>``."""

INTERNAL_SECRET_FILE = "internal-access.key"
"""The file in the data directory whose random bytes derive the internal keys' secrets (mode 0600)."""


class InternalKeys:
    """The access keys msf-local signs its own S3/Kinesis/Logs/CloudWatch calls with, one per account.

    ``MSFLOCAL<account id>`` acts in that account; its secret is an HMAC of the key id under random
    bytes kept in the data directory, so every process of one server (and a job that outlives a
    restart) derives the same secret, and nobody without that file can.
    """

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / INTERNAL_SECRET_FILE
        self._secret: bytes | None = None

    def _root(self) -> bytes:
        if self._secret is None:
            self._secret = _read_or_create_secret(self._path)
        return self._secret

    def for_account(self, account_id: str) -> tuple[str, str]:
        """(access key id, secret access key) acting in ``account_id``."""
        key_id = INTERNAL_KEY_PREFIX + account_id
        return key_id, hmac.new(self._root(), key_id.encode(), hashlib.sha256).hexdigest()

    def get(self, key_id: str) -> AccessKey | None:
        """The internal key ``key_id`` (its secret and account), or None if it is not one."""
        account_id = key_id.removeprefix(INTERNAL_KEY_PREFIX)
        if account_id == key_id or not _ACCOUNT_KEY.fullmatch(account_id):
            return None
        return AccessKey(secret_access_key=self.for_account(account_id)[1], account_id=account_id)


def _read_or_create_secret(path: Path) -> bytes:
    """The 32 random bytes in ``path``, put there (owner-only) by the first process to need them.

    They are written to a private temporary file that is then hard-linked into place, so a
    concurrent reader sees either no file or the whole secret.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".internal-")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(secrets.token_bytes(32))
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    content = path.read_bytes()
    if len(content) != 32:
        raise ValueError(f"{path} does not hold 32 bytes; delete it to make a new internal secret")
    return content
