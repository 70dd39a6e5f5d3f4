"""``python -m dedup``: the command line."""

from __future__ import annotations

from dedup.cli import main

raise SystemExit(main())
