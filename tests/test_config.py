from __future__ import annotations

import dataclasses

import pytest

from dedup import ConfigError, DedupConfig, NormalizeConfig


def test_defaults_are_valid_and_frozen() -> None:
    cfg = DedupConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.threshold = 0.1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("threshold", 1.5, "threshold must be a number in [0.0, 1.0], got 1.5"),
        ("threshold", True, "threshold"),
        ("lsh_threshold", 0.0, "lsh_threshold"),
        ("num_perm", 8, "num_perm must be an integer [16, 1024], got 8"),
        ("ngram_size", 0, "ngram_size"),
        ("seed", -1, "seed"),
        ("scheme", "legacy", "scheme must be one of 'affine32', 'affine64', got 'legacy'"),
        ("tokenizer", "spacy", "tokenizer"),
        ("workers", 0, "workers"),
        ("min_length", -3, "min_length"),
    ],
)
def test_bad_values_name_field_value_and_range(field: str, value: object, fragment: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        DedupConfig(**{field: value})  # type: ignore[arg-type]
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_keyword_only() -> None:
    with pytest.raises(TypeError):
        DedupConfig(0.5)  # type: ignore[misc]


def test_replace_validates_and_rejects_unknown() -> None:
    assert DedupConfig().replace(threshold=0.7).threshold == 0.7
    with pytest.raises(ConfigError, match="unknown DedupConfig option"):
        DedupConfig().replace(treshold=0.7)
    with pytest.raises(ConfigError):
        DedupConfig().replace(threshold=7)


def test_normalize_config_rejects_bad_patterns() -> None:
    with pytest.raises(ConfigError, match="not a valid regular expression"):
        NormalizeConfig(extra_boilerplate=("([",))
    with pytest.raises(ConfigError, match="tuple"):
        NormalizeConfig(extra_boilerplate="编辑.*")  # type: ignore[arg-type]


def test_signature_key_lists_what_signatures_depend_on() -> None:
    key = DedupConfig(seed=7).signature_key()
    assert key == {"num_perm": 128, "ngram_size": 2, "seed": 7, "scheme": "affine32", "tokenizer": "jieba"}
