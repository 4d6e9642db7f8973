"""Sinks: print, discard, and the exactly-once file sink on the two-phase-commit base."""

from stream_runtime.sinks.basic import DiscardingSink, PrintSinkFunction
from stream_runtime.sinks.file import ExactlyOnceFileSink, read_committed_lines
from stream_runtime.sinks.two_phase import TwoPhaseCommitSinkFunction

__all__ = [
    "DiscardingSink",
    "ExactlyOnceFileSink",
    "PrintSinkFunction",
    "TwoPhaseCommitSinkFunction",
    "read_committed_lines",
]
