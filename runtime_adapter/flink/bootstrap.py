"""The script Flink's ``PythonDriver`` runs for a Python application: it prepares the application's
world, then runs the application's own entry file as ``__main__``.

``sys.argv[1]`` is a JSON file the adapter wrote for this job: ``entry`` (the application's entry file),
``root`` (its code directory, put first on ``sys.path``), ``environment`` (variables such as
``AWS_ENDPOINT_URL``, region and credentials, so the job's AWS SDK reaches msf-local's embedded S3,
Kinesis and CloudWatch Logs) and ``properties_file``. The AWS samples read their runtime properties
from ``/etc/flink/application_properties.json``; every job runs in its own Python client process,
so reads of that path are answered from this job's own file: two applications running at once each
see their own properties, also on a cluster where msf-local may not write that path (it writes it
while the job is submitted when it may: ``properties``). The file's path is also in the environment
variable ``MSF_APPLICATION_PROPERTIES``.
"""

from __future__ import annotations

import builtins
import json
import os
import runpy
import sys
from typing import Any

AWS_PROPERTIES_PATH = "/etc/flink/application_properties.json"
PROPERTIES_VARIABLE = "MSF_APPLICATION_PROPERTIES"


def redirect(properties_file: str) -> None:
    """Answer opens and existence checks of the AWS properties path from ``properties_file``."""
    real_open = builtins.open
    real_isfile, real_exists = os.path.isfile, os.path.exists

    def mapped(path: Any) -> Any:
        return (
            properties_file
            if isinstance(path, str | os.PathLike) and os.fspath(path) == AWS_PROPERTIES_PATH
            else path
        )

    def open_mapped(file: Any, *args: Any, **kwargs: Any) -> Any:
        return real_open(mapped(file), *args, **kwargs)

    builtins.open = open_mapped
    os.path.isfile = lambda path: real_isfile(mapped(path))
    os.path.exists = lambda path: real_exists(mapped(path))


def main() -> None:
    """Read the job file, prepare the process, run the entry file."""
    with open(sys.argv[1]) as stream:
        job = json.load(stream)
    os.environ.update(job.get("environment") or {})
    properties = job.get("properties_file")
    if properties:
        os.environ[PROPERTIES_VARIABLE] = properties
        redirect(properties)
    sys.path.insert(0, job["root"])
    os.chdir(job["root"])
    sys.argv = [job["entry"], *sys.argv[2:]]
    runpy.run_path(job["entry"], run_name="__main__")


if __name__ == "__main__":
    main()
