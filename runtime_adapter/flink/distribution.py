"""Where the Apache Flink distribution is: the one the ``apache-flink`` wheel ships (``msf-local[flink]``).

The wheel installs a complete Flink (``bin/``, ``conf/``, ``lib/``, ``opt/flink-python-*.jar``) as the
``pyflink`` package directory; it is located without importing PyFlink.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

INSTALL_HINT = "pip install 'msf-local[flink]'"
PYTHON_DRIVER = "org.apache.flink.client.python.PythonDriver"


class FlinkNotInstalled(RuntimeError):
    """The Flink distribution is missing: the ``msf-local[flink]`` extra is not installed."""

    def __init__(self) -> None:
        super().__init__(
            f"Apache Flink is not installed in this environment; run: {INSTALL_HINT} "
            "(or set FLINK_HOME to a Flink 2.3 distribution)"
        )


def flink_home() -> Path:
    """``$FLINK_HOME`` if set, else the distribution inside the installed ``apache-flink`` wheel."""
    configured = os.environ.get("FLINK_HOME")
    if configured:
        return Path(configured)
    spec = importlib.util.find_spec("pyflink")
    if spec is None or not spec.submodule_search_locations:
        raise FlinkNotInstalled()
    home = Path(next(iter(spec.submodule_search_locations)))
    if not (home / "bin" / "jobmanager.sh").is_file():
        raise FlinkNotInstalled()
    return home


def flink_installed() -> bool:
    """Whether a Flink distribution can be found."""
    try:
        flink_home()
    except FlinkNotInstalled:
        return False
    return True


def python_jar(home: Path) -> Path:
    """``opt/flink-python-<version>.jar``: the jar whose ``PythonDriver`` runs PyFlink jobs."""
    jars = sorted((home / "opt").glob("flink-python-*.jar"))
    if not jars:
        raise FlinkNotInstalled()
    return jars[-1]


def java_options(home: Path) -> str:
    """The ``env.java.opts.all`` of the shipped config (the ``--add-opens`` list Java 17 needs)."""
    lines = (home / "conf" / "config.yaml").read_text().splitlines()
    for index, line in enumerate(lines):
        if line.strip() == "all:" or not line.strip().startswith("all:"):
            continue
        if index >= 2 and lines[index - 1].strip() == "opts:" and lines[index - 2].strip() == "java:":
            return line.split(":", 1)[1].strip()
    return ""
