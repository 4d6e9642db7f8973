"""``python -m stream_runtime``."""

import os
import sys

from stream_runtime.process.cli import main

code = main()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
