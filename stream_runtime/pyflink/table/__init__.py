"""``pyflink.table`` is not available on the embedded runtime: importing it fails at job start."""

from stream_runtime.unsupported import unsupported

raise unsupported(
    "pyflink.table (the Table API and SQL)",
    "Run the application on Flink: start msf-local with a Flink runtime (`msf-local serve --flink local`); "
    "without one, msf-local routes Table API programs to Flink and refuses to start them.",
)
