"""Access to botocore's kinesisanalyticsv2 service model, the source of truth for every shape."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import botocore.loaders
import botocore.model

SERVICE_NAME = "kinesisanalyticsv2"
TARGET_PREFIX = "KinesisAnalytics_20180523"
SIGNING_NAME = "kinesisanalytics"


@lru_cache(maxsize=1)
def raw_service_model() -> dict[str, Any]:
    """The service-2.json document shipped with the installed botocore."""
    loaded: dict[str, Any] = botocore.loaders.Loader().load_service_model(SERVICE_NAME, "service-2")
    return loaded


@lru_cache(maxsize=1)
def service_model() -> botocore.model.ServiceModel:
    """botocore's parsed ServiceModel for kinesisanalyticsv2."""
    return botocore.model.ServiceModel(raw_service_model(), service_name=SERVICE_NAME)
