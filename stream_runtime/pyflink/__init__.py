"""PyFlink's DataStream API on the embedded runtime.

A job started by the embedded runtime imports this package as ``pyflink`` (see
:mod:`stream_runtime.pyflink_imports`); anywhere else ``pyflink`` is whatever is installed (the real
apache-flink for the Flink runtime), so this package never shadows a real installation.
"""

EMBEDDED = True
