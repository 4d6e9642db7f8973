"""Members AWS's own documentation examples leave out although the model marks them required.

The checkpointing guide's CreateApplication examples (shared/seeds/000, 001) send an
``ApplicationCodeConfiguration`` without ``CodeContentType`` and a ``CheckpointConfiguration``
without ``ConfigurationType``. People copy these examples, so msf-local infers what the example
clearly means instead of refusing it, before validation:

* ``CodeContentType``: ``PLAINTEXT`` when the code is ``TextContent``, else ``ZIPFILE`` (S3 objects
  and inline zips — AWS uses ZIPFILE for jars too);
* ``ConfigurationType`` of a checkpoint, monitoring or parallelism configuration: ``CUSTOM`` when the
  request sets any value of it (the values would otherwise be ignored), else ``DEFAULT``.

Everything else the model requires is still required.
"""

from __future__ import annotations

from typing import Any

from api_models.models import CodeContentType, ConfigurationType

_FLINK_BLOCKS = ("CheckpointConfiguration", "MonitoringConfiguration", "ParallelismConfiguration")


def _code_content_type(code: dict[str, Any]) -> None:
    content = code.get("CodeContent")
    if "CodeContentType" in code or not isinstance(content, dict):
        return
    code["CodeContentType"] = (
        CodeContentType.PLAINTEXT if "TextContent" in content else CodeContentType.ZIPFILE
    ).value


def _configuration_type(block: dict[str, Any]) -> None:
    if "ConfigurationType" not in block:
        block["ConfigurationType"] = (ConfigurationType.CUSTOM if block else ConfigurationType.DEFAULT).value


def fill_documented_omissions(operation: str, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with the omitted members inferred (CreateApplication only); other bodies unchanged."""
    configuration = body.get("ApplicationConfiguration")
    if operation != "CreateApplication" or not isinstance(configuration, dict):
        return body
    code = configuration.get("ApplicationCodeConfiguration")
    if isinstance(code, dict):
        _code_content_type(code)
    flink = configuration.get("FlinkApplicationConfiguration")
    if isinstance(flink, dict):
        for name in _FLINK_BLOCKS:
            block = flink.get(name)
            if isinstance(block, dict):
                _configuration_type(block)
    return body
