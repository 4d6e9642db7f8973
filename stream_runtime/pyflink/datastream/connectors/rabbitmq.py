"""``pyflink.datastream.connectors.rabbitmq``

Not available on the embedded runtime: every name refuses with a clear error."""

from stream_runtime.unsupported import unsupported_module

__getattr__ = unsupported_module("pyflink.datastream.connectors.rabbitmq")
