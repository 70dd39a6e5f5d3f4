from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import dedup


def test_all_is_sorted_and_complete() -> None:
    assert dedup.__all__ == sorted(dedup.__all__)
    for name in dedup.__all__:
        assert hasattr(dedup, name), name
    public = {n for n in vars(dedup) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(dedup.__all__)


def test_the_public_namespace_is_narrow() -> None:
    # What a user needs; the steps stay importable from their modules.
    assert len(dedup.__all__) <= 32
    for module in ("lsh", "columns", "steps", "parallel", "index_file", "index_redis", "index_storage"):
        assert not any(name.startswith(module) for name in dedup.__all__)


def test_version_matches_metadata() -> None:
    assert dedup.__version__ == importlib.metadata.version("dedup")


def test_py_typed_is_shipped() -> None:
    files = importlib.metadata.files("dedup") or []
    assert any(str(f).endswith("py.typed") for f in files) or (
        __import__("pathlib").Path(dedup.__file__).with_name("py.typed").exists()
    )


def test_import_has_no_side_effects() -> None:
    code = (
        "import logging, sys; import dedup; "
        "assert 'jieba' not in sys.modules, 'jieba imported at import time'; "
        "assert 'datasketch' not in sys.modules, 'datasketch imported at import time'; "
        "assert 'pyspark' not in sys.modules, 'pyspark imported at import time'; "
        "assert not logging.getLogger().handlers; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
    assert out.stderr == ""


def test_exceptions_inherit_builtins() -> None:
    assert issubclass(dedup.ConfigError, ValueError)
    assert issubclass(dedup.InputError, ValueError)
    assert issubclass(dedup.DuplicateIdError, dedup.InputError)
    for exc in (dedup.ConfigError, dedup.InputError, dedup.DuplicateIdError):
        assert issubclass(exc, dedup.DedupError)
