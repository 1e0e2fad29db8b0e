"""Test-suite settings: property tests draw the same examples on every run.

A suite that may pass or fail with the examples hypothesis happens to pick would flake in CI.
``pytest --hypothesis-profile=explore`` searches new examples (and many more of them) locally.
"""

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=1000)
settings.load_profile("repeatable")
