"""Test-suite settings: property tests draw the same examples on every run.

A suite that may pass or fail with the examples hypothesis happens to pick would flake in CI.
``pytest --hypothesis-profile=explore`` searches new examples (and many more of them) locally.
"""

import atexit
import os
import shutil
import tempfile

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=1000)
settings.load_profile("repeatable")

# What stockpile records of the files it wrote (sim/cli/owned.py) goes to a folder of the test
# session's, shared with the commands the tests start, never to the user's own record.
_STATE = tempfile.mkdtemp(prefix="stockpile-state-")
os.environ["XDG_STATE_HOME"] = _STATE
atexit.register(shutil.rmtree, _STATE, ignore_errors=True)
