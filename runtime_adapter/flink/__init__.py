"""The Flink runtime: a ``RuntimeAdapter`` over Flink's REST API and a local cluster msf-local can run."""
