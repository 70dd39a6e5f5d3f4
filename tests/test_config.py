from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from dedup import ConfigError, DedupConfig, NormalizeConfig, Params
from dedup.config import ALGORITHM_VERSION, record_differences


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


def test_record_holds_every_parameter_an_answer_depends_on() -> None:
    rec = DedupConfig(seed=7, params=Params(min_agreement=0.7)).record()
    for name in ("seed", "num_perm", "ngram_size", "scheme", "tokenizer", "threshold", "min_length"):
        assert name in rec
    assert rec["seed"] == 7 and rec["params"]["min_agreement"] == 0.7
    assert set(rec["params"]) == {f.name for f in dataclasses.fields(Params)}
    assert rec["algorithm"] == ALGORITHM_VERSION
    for name in ("workers", "backend", "cache_dir", "evidence", "max_length"):  # how, not what
        assert name not in rec
    json.dumps(rec)  # JSON-ready


def test_record_round_trips_and_names_differences() -> None:
    config = DedupConfig(threshold=0.6, cross_account_only=True, params=Params(max_candidates=50))
    again = DedupConfig.from_record(config.record())
    assert again == config
    assert record_differences(config.record(), DedupConfig().record()) == [
        "cross_account_only: recorded True, requested False",
        "params.max_candidates: recorded 50, requested 8",
        "threshold: recorded 0.6, requested 0.5",
    ]


def test_a_record_never_names_a_file_to_open_nor_a_pattern_to_run(tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("荷叶塘社区 10 ns\n", encoding="utf-8")
    with_dict = DedupConfig(user_dict=str(words))
    rec = with_dict.record()
    assert str(words) not in json.dumps(rec) and rec["user_dict_sha256"]
    with pytest.raises(ConfigError, match="user dictionary"):
        DedupConfig.from_record(rec)
    assert DedupConfig.from_record(rec, base=with_dict) == with_dict
    patterns = DedupConfig(normalize=NormalizeConfig(extra_boilerplate=(r"^本期编辑.*$",)))
    with pytest.raises(ConfigError, match="extra_boilerplate"):
        DedupConfig.from_record(patterns.record())
    assert DedupConfig.from_record(patterns.record(), base=patterns) == patterns


def test_a_record_of_another_algorithm_version_is_refused() -> None:
    rec = DedupConfig().record()
    rec["algorithm"] = ALGORITHM_VERSION + 1
    with pytest.raises(ConfigError, match="algorithm version"):
        DedupConfig.from_record(rec)
    with pytest.raises(ConfigError, match="not a config record"):
        DedupConfig.from_record({**DedupConfig().record(), "params": {"unknown": 1}})


def test_params_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"params\.min_agreement must be a number in \[0.0, 1.0\]"):
        Params(min_agreement=1.5)
    with pytest.raises(ConfigError, match=r"params\.max_candidates"):
        Params(max_candidates=0)
    with pytest.raises(ConfigError, match="params must be a Params"):
        DedupConfig(params={"min_agreement": 0.5})  # type: ignore[arg-type]
