"""Entry script for ``spark-submit``: ``spark-submit [options] .../dedup/spark_main.py INPUT... -o OUTDIR``.

``spark-submit`` runs a Python file, not a module (it has no ``-m``); this file runs
``dedup spark check`` with its arguments, under the master and settings spark-submit
gives, and exits with its status (0 no story, 1 stories found, 2 an error). Its path:
``python -c "import dedup.spark_main as m; print(m.__file__)"``.
"""

from __future__ import annotations

import sys

from dedup.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["spark", "check", *sys.argv[1:]]))
