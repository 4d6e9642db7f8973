"""Compares the embedded ``pyflink`` DataStream classes with the real apache-flink's: prints a JSON object
``{class: {"missing": [...], "parameters": [...]}}`` of the real public methods the embedded class lacks and
of shared methods whose real parameter names the embedded method does not accept.

Not imported by the tests: it runs in an interpreter that has apache-flink installed (real ``pyflink`` is
imported first, then dropped from ``sys.modules`` so the embedded alias can take its place)."""

import importlib
import inspect
import json
import sys

import pyflink.datastream as real_datastream
import pyflink.datastream.data_stream as real_streams

STREAM_CLASSES = [
    "DataStream",
    "KeyedStream",
    "CachedDataStream",
    "WindowedStream",
    "AllWindowedStream",
    "ConnectedStreams",
    "BroadcastConnectedStream",
    "BroadcastStream",
    "DataStreamSink",
]
MODULES = ["pyflink.datastream.functions", "pyflink.datastream.window", "pyflink.datastream.state"]
_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


def _parameters(function):
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    return [(p.name, p.kind) for p in signature.parameters.values() if p.name not in ("self", "cls")]


def _public(cls):
    return {name: getattr(cls, name) for name in dir(cls) if not name.startswith("_")}


def _module_report(real_names, embedded_module):
    """Names of a real module the embedded one lacks, and the members its classes lack."""
    missing_names, missing_members = [], {}
    for name, value in real_names.items():
        if not hasattr(embedded_module, name):
            missing_names.append(name)
        elif inspect.isclass(value):
            ours = getattr(embedded_module, name)
            lacking = sorted(
                member
                for member in _public(value)
                if not member.startswith("get_java_") and not hasattr(ours, member)
            )
            if lacking:
                missing_members[name] = lacking
    return {"missing_names": sorted(missing_names), "missing_members": missing_members}


def main():
    real_modules = {
        module: {
            name: getattr(importlib.import_module(module), name)
            for name in importlib.import_module(module).__all__
        }
        for module in MODULES
    }
    real = {name: getattr(real_streams, name) for name in STREAM_CLASSES}
    for name in ("StreamExecutionEnvironment", "CheckpointConfig", "ExternalizedCheckpointRetention"):
        real[name] = getattr(real_datastream, name)
    real_members = {name: _public(cls) for name, cls in real.items()}
    for module in [m for m in sys.modules if m == "pyflink" or m.startswith("pyflink.")]:
        del sys.modules[module]
    sys.path.insert(0, sys.argv[1])  # the project, for stream_runtime
    from stream_runtime.pyflink_imports import pyflink_imports

    report = {}
    with pyflink_imports():
        import pyflink.datastream as embedded_datastream
        import pyflink.datastream.data_stream as embedded_streams

        for name, members in real_members.items():
            embedded = getattr(embedded_streams, name, None) or getattr(embedded_datastream, name)
            missing, parameters = [], []
            for member, value in members.items():
                if member.startswith("get_java_") or member == "get_j_data_stream":
                    continue  # handles of the Java objects behind PyFlink
                if not hasattr(embedded, member):
                    missing.append(member)
                    continue
                ours = _parameters(getattr(embedded, member)) if callable(value) else None
                theirs = _parameters(value) if callable(value) else None
                if (
                    ours is None
                    or theirs is None
                    or any(kind is inspect.Parameter.VAR_KEYWORD for _, k in ours for kind in [k])
                ):
                    continue
                accepted = {p for p, _ in ours}
                lacking = [p for p, kind in theirs if kind not in _VARIADIC and p not in accepted]
                if lacking:
                    parameters.append(f"{member}({', '.join(lacking)})")
            report[name] = {"missing": sorted(missing), "parameters": sorted(parameters)}
        for module, names in real_modules.items():
            report[module] = _module_report(names, importlib.import_module(module))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
