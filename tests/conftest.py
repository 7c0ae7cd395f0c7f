"""Test-wide settings: the compiled-data cache lives in a folder of this test session
(never the user's cache), shared by the in-process tests and the CLI subprocesses."""

import os
import tempfile

os.environ.setdefault("SIMULATOR_CACHE", tempfile.mkdtemp(prefix="simulator-cache-"))
