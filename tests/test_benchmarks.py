"""The benchmarks' own logic: quality helpers and the notice generator (made-up inputs only)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from benchmarks.notices import OPS, TEMPLATES, generate, read_posts, score, write_posts
from benchmarks.notices import main as notices_main
from benchmarks.peers import PEERS, UnionFind, char_ngrams
from benchmarks.quality import Labels, _story_key, _wilson, error_analysis, read_judgements
from dedup import ConfigError, InputError

BASE = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放宣传资料200余份。"
OTHER = "6月15日，山水湾社区举办消防安全演练，邀请消防员讲解灭火器使用方法，居民现场体验灭火操作。"


def test_union_find_groups_only_components_of_two_or_more() -> None:
    uf = UnionFind(5)
    uf.union(0, 3)
    uf.union(3, 4)
    assert uf.groups(["a", "b", "c", "d", "e"]) == [["a", "d", "e"]]


def test_char_ngrams_ignore_whitespace_and_keep_short_texts() -> None:
    assert char_ngrams([("1", "ab c\ndef")]) == [["abcde", "bcdef"]]
    assert char_ngrams([("1", "短"), ("2", "")]) == [["短"], []]


def test_char5_peer_groups_a_copy_and_leaves_an_unrelated_post_alone() -> None:
    records = [("1", BASE), ("2", "关注我们\n" + BASE), ("3", OTHER), ("4", "")]
    result = PEERS["c"].run(records)
    assert result.groups == [["1", "2"]]
    assert set(result.seconds) == {"tokenize", "match", "total"}


def _labels() -> Labels:
    truth = {"o1": "s1", "c1": "s1", "c2": "s1", "t1": "s1t", "o2": "s2"}
    ops = {
        "o1": ("original",),
        "c1": ("retitle",),
        "c2": ("truncate", "shuffle"),
        "t1": ("template_sibling",),
        "o2": ("original",),
    }
    return Labels(truth=truth, sibling={"s1t": "s1"}, ops=ops)


def test_error_analysis_names_missed_posts_and_template_merges() -> None:
    # c2 is cut off from its story; the template sibling t1 is merged into it.
    pred = {"o1": "g0", "c1": "g0", "t1": "g0", "c2": "single:c2", "o2": "single:o2"}
    err = error_analysis(_labels(), pred)
    assert err["true_pairs"] == 3
    assert err["missed_pairs"] == 2
    assert err["false_pairs"] == 2
    assert err["false_pair_kinds"] == {"template sibling": 2}
    assert [(s["id"], s["where"]) for s in err["split_posts"]] == [("c2", "alone")]
    per_op = {row[0]: row[1:] for row in err["per_op"]}
    assert per_op["truncate"] == [2, 2, 0.0]
    assert per_op["retitle"] == [2, 1, 0.5]
    assert err["wrongly_merged_story_sets"] == [["s1", "s1t"]]


def test_error_analysis_tells_a_split_story_from_a_wrong_merge() -> None:
    pred = {"o1": "g0", "c1": "g1", "c2": "g1", "t1": "single:t1", "o2": "single:o2"}
    err = error_analysis(_labels(), pred)
    assert {s["id"]: s["where"] for s in err["split_posts"]} == {
        "c1": "split off with others of its story",
        "c2": "split off with others of its story",
    }
    assert err["false_pairs"] == 0


def test_wilson_interval_brackets_the_observed_share() -> None:
    low, high = _wilson(25, 30)
    assert 0.6 < low < 25 / 30 < high < 0.95
    assert _wilson(0, 0) == (0.0, 1.0)


def test_judgements_are_keyed_by_corpus_and_sorted_ids(tmp_path: Path) -> None:
    path = tmp_path / "j.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["corpus", "story_ids", "verdict", "reason"])
        writer.writerow(["inews", _story_key(["b-2", "a-1"]), "correct", "same event"])
    assert read_judgements(str(path)) == {("inews", "a-1 b-2"): ("correct", "same event")}
    assert read_judgements(str(tmp_path / "missing.csv")) == {}


@pytest.mark.parametrize("key", ["a", "b", "b2", "c", "d"])
def test_every_peer_names_its_package(key: str) -> None:
    peer = PEERS[key]
    assert peer.key == key and peer.label.startswith(f"({key})") and peer.package


# ---------------------------------------------------------------------------------------
# benchmarks.notices: template notices and their scorer


def test_notices_are_deterministic_for_a_seed() -> None:
    assert generate(120, copies=0.3, seed=3) == generate(120, copies=0.3, seed=3)
    assert generate(120, copies=0.3, seed=3) != generate(120, copies=0.3, seed=4)


def test_distinct_events_have_distinct_stories_and_texts() -> None:
    posts = generate(300, seed=5)
    assert len(posts) == 300
    assert all(p["ops"] == ["original"] for p in posts)
    assert len({p["story"] for p in posts}) == 300
    assert len({p["text"] for p in posts}) == 300
    assert all(p["account"] and p["title"] and len(p["text"]) >= 150 for p in posts)
    assert len({p["template"] for p in posts}) > 20


def test_every_repost_shares_its_originals_story() -> None:
    posts = generate(400, copies=0.5, seed=6)
    by_id = {p["id"]: p for p in posts}
    reposts = [p for p in posts if p["ops"] != ["original"]]
    assert len(reposts) > 50
    for r in reposts:
        original = by_id[r["id"].split("-r")[0]]
        assert original["ops"] == ["original"]
        assert r["story"] == original["story"] and r["template"] == original["template"]
        assert r["account"] != original["account"]
        assert set(r["ops"]) <= set(OPS) and r["ops"]
        assert original["published_at"] < r["published_at"]
    originals = [p for p in posts if p["ops"] == ["original"]]
    assert len({p["story"] for p in originals}) == len(originals)


def test_hard_siblings_change_only_the_day_and_the_unit_or_one_count() -> None:
    posts = generate(600, hard=0.3, seed=7)
    by_story = {p["story"]: p for p in posts}
    siblings = [p for p in posts if p.get("sibling_of")]
    assert {p["hard_kind"] for p in siblings} == {"place", "count"}
    for p in siblings:
        base = by_story[p["sibling_of"]]
        assert p["hard"] and base["hard"] and p["template"] == base["template"]
        assert p["text"] != base["text"]
        # A count sibling is posted by the same unit, a place sibling by another one.
        assert (p["account"] == base["account"]) == (p["hard_kind"] == "count")


def test_one_template_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "one.jsonl.gz"
    assert notices_main(["generate", "80", "-o", str(out), "--templates", "1", "--copies", "0.2"]) == 0
    posts = read_posts(out)
    assert len(posts) == 80
    assert {p["template"] for p in posts} == {TEMPLATES[0].key}


def test_bad_arguments_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="templates"):
        generate(10, templates=0)
    with pytest.raises(ConfigError, match="copies"):
        generate(10, copies=1.5)


def _notice_labels() -> list[dict[str, object]]:
    rows = [
        ("a", "e1", ["original"], False),
        ("a-r1", "e1", ["retitle"], False),
        ("a-r2", "e1", ["truncate"], False),
        ("b", "e2", ["original"], True),
        ("c", "e3", ["original"], True),
        ("d", "e4", ["original"], False),
        ("e", "e5", ["original"], False),
    ]
    return [{"id": i, "story": s, "ops": ops, "hard": h} for i, s, ops, h in rows]


def test_score_counts_wrong_merges_and_copy_pairs() -> None:
    # One story holds e1's original, one repost and the hard event e2; e3 and d are
    # merged; a-r2 and e are alone.
    pred = {"stories": [{"ids": ["a", "a-r1", "b"]}, {"ids": ["c", "d"]}]}
    s = score(_notice_labels(), pred)
    assert (s["posts"], s["events"], s["predicted_stories"], s["posts_in_stories"]) == (7, 5, 2, 5)
    assert (s["wrongly_merged"], s["wrongly_merged_share"]) == (5, round(5 / 7, 4))
    assert (s["mixed_stories"], s["largest_mixed_story"]) == (2, 3)
    assert (s["hard_posts"], s["hard_wrongly_merged"], s["plain_wrongly_merged"]) == (2, 2, 3)
    # True pairs: the three posts of e1 (3 pairs); found: a/a-r1; predicted: 3 + 1.
    assert (s["true_pairs"], s["found_pairs"], s["predicted_pairs"]) == (3, 1, 4)
    assert (s["pair_recall"], s["pair_precision"]) == (round(1 / 3, 4), 0.25)
    assert (s["reposts"], s["reposts_with_original"]) == (2, 1)


def test_score_rejects_unknown_and_repeated_ids() -> None:
    with pytest.raises(InputError, match="not in the labels"):
        score(_notice_labels(), {"stories": [{"ids": ["a", "zz"]}]})
    with pytest.raises(InputError, match="two stories"):
        score(_notice_labels(), [["a", "b"], ["b", "c"]])


def test_score_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels, pred = tmp_path / "labels.jsonl", tmp_path / "pred.json"
    write_posts(_notice_labels(), labels)
    pred.write_text(json.dumps({"stories": [{"ids": ["a", "a-r1", "a-r2"]}]}), encoding="utf-8")
    assert notices_main(["score", str(labels), str(pred), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["wrongly_merged"] == 0 and figures["pair_recall"] == 1.0 and figures["pair_precision"] == 1.0
    assert notices_main(["score", str(labels), str(tmp_path / "missing.json")]) == 2
    assert "notices: error:" in capsys.readouterr().err


def test_speed_results_table_and_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import benchmarks.speed as speed

    row = {
        "batch": "ordinary",
        "posts": 100000,
        "format": "json",
        "workers": 2,
        "wall_s": 50.0,
        "runs_s": [50.0, 51.0, 49.0],
        "cpu_s": 90.0,
        "largest_process_rss_mib": 1400,
        "largest_process_anon_mib": 1200,
        "tree_rss_sum_mib": 3000,
        "tree_pss_mib": 1600,
        "pss_run_s": 60.0,
        "output_mb": 130.0,
        "floor_1proc_s": 10.0,
        "floor_1proc_runs_s": [10.0],
        "floor_2proc_s": 7.0,
        "floor_2proc_runs_s": [7.0],
        "over_table": 1.2,
        "cpu_over_table": 1.5,
        "over_floor_1proc": 5.0,
        "over_floor_2proc": 7.14,
    }
    table = speed.markdown([row], 2)
    assert (
        "| ordinary | 100,000 | json | 50.0 | 50.0, 51.0, 49.0 | 1.2 | 90.0 | 1.5 | 1,400 MiB | 1,200 MiB | 1,600 MiB | "
        "10.0 | 7.0 | 5.0 | 7.14 |" in table
    )
    monkeypatch.setattr(speed, "RESULTS", tmp_path)
    out, rows = speed.write_results({"rows": [row]}, [row])
    assert json.loads(out.read_text(encoding="utf-8"))["rows"][0]["format"] == "json"
    with rows.open(encoding="utf-8") as fh:
        (read,) = list(csv.DictReader(fh))
    assert read["over_table"] == "1.2" and "runs_s" not in read


def test_speed_options_default_to_every_format_and_both_template_batches() -> None:
    import benchmarks.speed as speed

    args = speed.parse_args([])
    assert args.formats == list(speed.FORMATS) and args.sizes == [1000, 10000, 100000]
    assert args.template_kinds == ["notices-one", "notices-all"] and args.template_sizes == [10000]
    assert speed.parse_args(["--template-sizes"]).template_sizes == []
    assert not args.spill


def test_speed_spill_variant_runs_dedup_with_a_spill_dir(tmp_path: Path) -> None:
    import benchmarks.speed as speed

    plain = speed.ours_command(tmp_path / "b.jsonl", "json", tmp_path / "report.json", 2)
    spilled = speed.ours_command(tmp_path / "b.jsonl", "json+spill", tmp_path / "report.json+spill", 2)
    assert spilled[-2:] == ["--spill-dir", str(tmp_path)]
    assert spilled[spilled.index("--format") + 1] == "json" and "--spill-dir" not in plain


def _repost_and_other(title: str, text: str) -> list[dict[str, str]]:
    """An original, a repost of it on another account (``title``, ``text``), and an unrelated post."""
    return [
        {"id": "a", "account": "荷叶塘社区", "title": "荷叶塘社区开展垃圾分类宣传活动", "text": BASE},
        {"id": "a-r1", "account": "山水湾社区", "title": title, "text": text},
        {"id": "b", "account": "山水湾社区", "title": "山水湾社区举办消防安全演练", "text": OTHER},
    ]


def test_word_replica_rounds_keep_lengths_and_stories_and_share_no_words(tmp_path: Path) -> None:
    from benchmarks.replicas import replicate_words

    posts = _repost_and_other("【转载】荷叶塘社区开展垃圾分类宣传活动", BASE)
    source = tmp_path / "source.jsonl.gz"
    write_posts(posts, source)
    out = tmp_path / "replicas.jsonl.gz"
    assert replicate_words(source, 8, out, window=4, seed=3) == 3
    written = read_posts(out)
    assert [p["id"] for p in written] == ["a", "a-r1", "b", "a~w1", "a-r1~w1", "b~w1", "a~w2", "a-r1~w2"]
    by_id = {p["id"]: p for p in written}
    for k in (1, 2):
        copy, original = by_id[f"a-r1~w{k}"], by_id[f"a~w{k}"]
        # A repost stays a copy of its original; digits, punctuation and accounts stay.
        assert copy["text"] == original["text"] and original["text"] != BASE
        assert len(original["text"]) == len(BASE) and "200" in original["text"] and original["account"] == "荷叶塘社区"
    # Rounds are different batches: the same post is worded differently in each.
    assert by_id["a~w1"]["text"] != by_id["a~w2"]["text"]
    assert replicate_words(source, 8, tmp_path / "again.jsonl.gz", window=4, seed=3) == 3
    assert read_posts(tmp_path / "again.jsonl.gz") == written


def test_word_replica_rounds_keep_reposts_that_differ_in_spacing_or_markup_as_copies(tmp_path: Path) -> None:
    from benchmarks.replicas import replicate_words
    from dedup.normalize import normalize_text

    # A space and a tag inside words: jieba cuts the raw text elsewhere than the original's.
    # An account's boilerplate around it: the normalizer drops those lines, the rounds keep them.
    repost = BASE.replace("，", ", ", 1).replace("广场", "广 场").replace("垃圾分类", "<b>垃圾分</b>类")
    repost = f"点击上方蓝字关注我们\n{repost}\n责任编辑：马骏"
    assert repost != BASE and normalize_text(repost) == normalize_text(BASE)
    posts = _repost_and_other("荷叶塘社区开展垃圾 分类宣传活动", repost)
    source = tmp_path / "source.jsonl.gz"
    write_posts(posts, source)
    out = tmp_path / "replicas.jsonl.gz"
    assert replicate_words(source, 12, out, window=2, seed=5) == 4
    by_id = {p["id"]: p for p in read_posts(out)}
    for k in (1, 2, 3):
        copy, original = by_id[f"a-r1~w{k}"], by_id[f"a~w{k}"]
        assert original["text"] != BASE
        assert normalize_text(copy["text"]) == normalize_text(original["text"])
        assert normalize_text(copy["title"]) == normalize_text(original["title"])
        # The markup and spacing stay where they were.
        assert "<b>" in copy["text"] and ", " in copy["text"] and copy["text"].startswith("点击上方蓝字关注我们\n")
