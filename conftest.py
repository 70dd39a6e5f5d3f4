"""pytest's configuration for the whole repository (``tests/conftest.py`` has the test data).

The Spark fixtures live in ``tests/spark_cluster.py``; registered here as a plugin, they also
reach the doctests of ``dedup/spark*.py``, which run on the ``spark_local`` session. The
plugin is imported by the same name as the test modules would import it (``tests/`` is on
``sys.path`` for them), so there is one copy of it.
"""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = str(Path(__file__).parent / "tests")
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

pytest_plugins = ["spark_cluster"]
