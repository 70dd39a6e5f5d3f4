"""Run ``dedup.cli.main`` with in-memory standard streams (shared by the CLI tests)."""

from __future__ import annotations

import io

from dedup.cli import main


class Streams:
    """Standard input bytes in, captured standard output and error out."""

    def __init__(self, stdin: bytes = b"") -> None:
        self.stdin = io.BytesIO(stdin)
        self.stdout = io.StringIO()
        self.stderr = io.StringIO()

    def run(self, *argv: str) -> int:
        """Run ``dedup ARGV...``; return its exit status."""
        return main(list(argv), stdin=self.stdin, stdout=self.stdout, stderr=self.stderr)
