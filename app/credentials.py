"""Access keys: the credentials file of ``--auth strict`` and the rule that maps a key to its account."""

from __future__ import annotations

import json
import re
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
