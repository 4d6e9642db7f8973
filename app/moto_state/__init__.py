"""The embedded S3, Kinesis, CloudWatch Logs and CloudWatch kept under ``<data dir>/aws``.

:class:`EmbeddedState` journals what moto accepted and brings it back when msf-local starts again
(graceful stop or ``kill -9``); see :mod:`app.moto_state.store` and :mod:`app.moto_state.journal`.
"""

from app.moto_state.store import EmbeddedState

__all__ = ["EmbeddedState"]
