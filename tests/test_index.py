from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from chrome_pages import EVENTS, pages
from redis_server import redis_server_fixture, redis_url_fixture  # noqa: F401  (fixtures)

import dedup.index_file
from dedup import (
    Article,
    ConfigError,
    DedupConfig,
    DedupError,
    DedupIndex,
    Deduplicator,
    DuplicateIdError,
    IndexConnectionError,
    IndexFileError,
    IndexMatch,
    InputError,
    UnknownIdError,
)
from dedup.verify import compare

Answer = dict[str, tuple[float, str]]

# ---------------------------------------------------------------------------
# made-up posts whose answers depend on learned account boilerplate

ACCOUNT = "示范街道"
HEADER = "【示范街道】\n"
FOOTER = "示范街道党工委高度重视此项工作。欢迎广大居民积极参与监督并提出宝贵意见。"
# Bodies are longer than header and footer: dedup check strips learned boilerplate only
# when most of a post remains.
BODIES = {
    "a1": "6月3日上午，示范街道组织辖区志愿者四十余人来到南湖河道，沿岸清理塑料袋、"
    "枯枝和建筑垃圾，共清运杂物两车。活动结束后，志愿者还向沿河商户发放了保护水环境倡议书。",
    "a2": "6月5日，示范街道联合社区卫生服务中心在文化广场为辖区老人开展义诊，医生为老人"
    "测量血压八十余人次，讲解高血压和糖尿病的日常防治知识，并为行动不便的老人上门服务。",
    "a3": "6月8日，示范街道在会议中心举办消防安全培训，邀请消防员讲解灭火器和消防栓的"
    "使用方法，并组织各小区物业人员进行现场实操演练，参训人员共计一百二十人。",
    # " ★ ... ★ " keeps spaces after normalization: the post changes once its account's
    # sentences are split and joined again (a "sensitive" post).
    "a4": "6月9日，示范街道召开安全生产工作会议。 ★ 安全无小事 ★ 会上通报了近期辖区安全隐患"
    "排查整改情况，部署了汛期前的重点检查任务，要求各部门压实责任，确保不发生安全事故。",
    "a5": "6月12日，示范街道开展防汛应急演练，模拟河堤管涌险情，检验抢险队伍快速反应能力。"
    "演练共出动抢险人员六十人，冲锋舟两艘，各环节衔接顺畅，达到了预期效果。",
}
# Sensitive too, without the header and footer: only the account's learning at all changes it.
NOTICE = (
    "6月15日，示范街道发布停水通知。 ★ 温馨提示 ★ 因供水管网改造，辖区部分小区将于6月18日"
    "停水十二小时，请居民提前做好储水准备。"
)


def street_posts() -> list[Article]:
    posts = [Article(id=k, text=HEADER + v + "\n" + FOOTER, account=ACCOUNT) for k, v in BODIES.items()]
    posts += [
        Article(id="b1", text="转自示范街道：" + BODIES["a1"] + "活动得到居民点赞。", account="友邻社区"),
        Article(id="b2", text=BODIES["a4"], account="友邻社区"),
        Article(id="n1", text=BODIES["a2"]),
        Article(id="a6", text=NOTICE, account=ACCOUNT),
        Article(id="b3", text=NOTICE, account="友邻社区"),
        # The account reposting a1 (a line added): as the third post with the footer, querying it makes
        # the footer boilerplate, for the indexed a1 too (only queried, never added below).
        Article(id="a7", text=HEADER + BODIES["a1"] + "志愿者表示将长期坚持。\n" + FOOTER, account=ACCOUNT),
        # The account posting a2 twice: identical posts count once towards boilerplate.
        Article(id="a8", text=HEADER + BODIES["a2"] + "\n" + FOOTER, account=ACCOUNT),
    ]
    return posts


def big_account_posts(n: int = 62) -> list[Article]:
    """``n`` posts of one account; a closing sentence appears in exactly three of them.

    ``big-00`` and ``big-01`` are two write-ups of one event; ``big-02`` another event.
    """
    villages = [
        "东岭",
        "西坪",
        "南湾",
        "北塘",
        "石桥",
        "柳林",
        "桃源",
        "杏花",
        "松岗",
        "竹园",
        "梅溪",
        "荷塘",
    ]
    acts = ["春耕备耕技术培训", "防诈骗知识宣讲", "环境卫生大扫除", "老年人健康体检", "垃圾分类入户宣传"]
    posts = []
    for i in range(n):
        village = villages[i % len(villages)]
        act = acts[i % len(acts)]
        text = (
            f"{1 + i % 12}月{1 + i % 28}日，大河镇{village}村开展{act}活动，"
            f"第{i + 1}期共有{20 + 3 * i}名村民参加。{village}村党支部书记作动员讲话，"
            f"驻村工作队{i % 7 + 2}名队员参与组织，现场发放资料{100 + 7 * i}份。"
        )
        if i == 1:  # the same event as big-00, retold
            text = posts[0].text.replace("作动员讲话", "在会上作了动员讲话")
        if i < 3:
            text += "本期活动由镇农业服务中心全程提供技术指导和物资保障。"
        posts.append(Article(id=f"big-{i:02d}", text=text, account="大河镇"))
    return posts


_CHECKERS: dict[DedupConfig, Deduplicator] = {}


def reference(config: DedupConfig, indexed: Sequence[Article], query: Article) -> Answer:
    """What ``dedup check`` decides for every pair of ``query`` with an indexed post."""
    d = _CHECKERS.get(config)
    if d is None:
        d = _CHECKERS[config] = Deduplicator(config)
    batch = [a for a in indexed if a.id != query.id] + [query]
    feats = d.extract_features(batch)
    qi = len(batch) - 1
    out: Answer = {}
    for i, j in d.candidates(feats).tolist():
        if qi in (i, j):
            v = compare(feats[i], feats[j], config=config)
            if v.is_match:
                assert v.kind is not None
                out[batch[i if j == qi else j].id] = (v.score, v.kind)
    return out


def answer(index: DedupIndex, query: Article) -> Answer:
    return {m.id: (m.score, m.kind) for m in index.query(query, k=None, evidence=False)}


def assert_like_check(index: DedupIndex, indexed: Sequence[Article], queries: Sequence[Article]) -> int:
    """Every query answers as dedup check would; returns how many matches were compared."""
    total = 0
    for q in queries:
        expected = reference(index.config, indexed, q)
        assert answer(index, q) == expected, q.id
        total += len(expected)
    return total


@pytest.fixture(scope="module")
def config() -> DedupConfig:
    return DedupConfig()


# ---------------------------------------------------------------------------
# add / query / remove / len


def test_add_query_remove_len(news: list[Article]) -> None:
    index = DedupIndex()
    published = [a for a in news if a.id != "hyt-05"]
    assert index.add(published) == len(published)
    assert len(index) == len(published)
    assert "hyt-01" in index and "hyt-05" not in index and 5 not in index
    truncated = next(a for a in news if a.id == "hyt-05")
    matches = index.query(truncated, k=None)
    assert {m.id for m in matches} == {"hyt-01", "hyt-02", "hyt-03", "hyt-04"}
    assert all(isinstance(m, IndexMatch) and m.kind == "contained" for m in matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    assert index.remove(["hyt-01", "hyt-02"]) == 2
    assert len(index) == len(published) - 2
    assert {m.id for m in index.query(truncated, k=None)} == {"hyt-03", "hyt-04"}
    single = next(a for a in news if a.id == "wc-01")
    assert index.query(single) == []


def test_query_matches_dedup_check_on_the_fixture(news: list[Article], config: DedupConfig) -> None:
    index = DedupIndex(config)
    for q in news:
        others = [a for a in news if a.id != q.id]
        index.clear()
        index.add(others)
        assert answer(index, q) == reference(config, others, q), q.id


def test_query_matches_dedup_check_as_boilerplate_is_learned(config: DedupConfig) -> None:
    posts = street_posts()
    # The fixture is only a test of boilerplate handling if learning changes answers.
    unlearned = config.replace(learn_boilerplate=False)
    assert any(reference(config, posts, q) != reference(unlearned, posts, q) for q in posts)
    index = DedupIndex(config)
    indexed: list[Article] = []
    compared = 0
    by_id = {a.id: a for a in posts}
    for post in [by_id[i] for i in ("b1", "b2", "b3", "a6", "a1", "a2", "a8", "a3", "a4", "a5", "n1")]:
        compared += assert_like_check(index, indexed, posts)
        index.add([post])
        indexed.append(post)
    for gone in ("a3", "a1", "b2", "a5", "a2"):
        index.remove([gone])
        indexed = [a for a in indexed if a.id != gone]
        compared += assert_like_check(index, indexed, posts)
    assert compared > 20


def test_query_matches_dedup_check_when_the_share_rule_moves(config: DedupConfig) -> None:
    posts = big_account_posts(62)
    index = DedupIndex(config)
    index.add(posts[:60])  # the closing sentence is in 3 of 60 posts: boilerplate
    # big-00 again, without the closing sentence, from another account
    retold = Article(id="other", text=posts[0].text.split("本期活动")[0], account="别的号")
    queries = [posts[0], posts[1], posts[60], posts[61], retold]
    assert reference(config, posts[:60], retold) != reference(config, posts[:61], retold)
    assert_like_check(index, posts[:60], queries)
    index.add([posts[60]])  # 61 posts need 3.05: the sentence is no longer boilerplate
    assert_like_check(index, posts[:61], queries)
    index.add([posts[61]])
    index.remove([posts[61].id, posts[60].id])  # and back
    assert_like_check(index, posts[:60], queries)


def chrome_posts() -> list[Article]:
    """Pages of one site (chrome learned from the fifth on) and bare copies of two of them."""
    return [
        *pages(),
        Article(id="copy0", text=EVENTS[0], account="公众号"),
        Article(id="copy4", text=EVENTS[4] + "群众纷纷表示支持。", account="公众号"),
    ]


def walk_chrome(index: DedupIndex) -> int:
    """Add the chrome posts one by one, then remove some: answers stay those of dedup check."""
    posts = chrome_posts()
    by_id = {a.id: a for a in posts}
    indexed: list[Article] = []
    compared = 0
    for post_id in ("copy0", "page0", "page1", "page2", "copy4", "page3", "page4", "page5"):
        compared += assert_like_check(index, indexed, posts)
        index.add([by_id[post_id]])
        indexed.append(by_id[post_id])
    for gone in ("page5", "page1", "copy0", "page0"):
        index.remove([gone])
        indexed = [a for a in indexed if a.id != gone]
        compared += assert_like_check(index, indexed, posts)
    return compared


def test_query_matches_dedup_check_as_chrome_is_learned(config: DedupConfig) -> None:
    posts = chrome_posts()
    # The fixture is only a test of chrome if learning it changes answers.
    unlearned = config.replace(params=dataclasses.replace(config.params, chrome_min_posts=0))
    assert any(reference(config, posts, q) != reference(unlearned, posts, q) for q in posts)
    assert walk_chrome(DedupIndex(config)) > 10


def test_redis_index_learns_chrome_like_dedup_check(redis_url: str, config: DedupConfig) -> None:
    with DedupIndex.connect(redis_url, config=config) as shared:
        assert walk_chrome(shared) > 10


def test_loaded_index_keeps_its_chrome(tmp_path: Path, config: DedupConfig) -> None:
    posts = chrome_posts()
    index = DedupIndex(config)
    index.add(posts[:-1])
    index.save(tmp_path / "pages.dedup")
    loaded = DedupIndex.load(tmp_path / "pages.dedup")
    for q in posts:
        assert answer(loaded, q) == answer(index, q), q.id
    loaded.add(posts[-1:])
    loaded.remove(["page2"])
    assert_like_check(loaded, [a for a in posts if a.id != "page2"], posts)


def test_query_of_an_indexed_id_stands_for_that_post(news: list[Article], config: DedupConfig) -> None:
    index = DedupIndex(config)
    index.add(news)
    for q in news:
        got = answer(index, q)
        assert q.id not in got
        assert got == reference(config, news, q)


def test_k_templates_and_evidence(news: list[Article]) -> None:
    index = DedupIndex()
    index.add([a for a in news if a.id != "hyt-01"])
    q = next(a for a in news if a.id == "hyt-01")
    everything = index.query(q, k=None, templates=True)
    kinds = {m.id: m.kind for m in everything}
    assert kinds["ssw-01"] == "template" and kinds["ssw-02"] == "template"
    assert "template" not in {m.kind for m in index.query(q, k=None)}
    top = index.query(q, k=2)
    assert [m.id for m in top] == [m.id for m in index.query(q, k=None)][:2]
    ev = top[0].evidence
    assert ev is not None and ev.shared
    (qa, qb), _ = ev.shared[0]
    assert 0 <= qa < qb <= len(q.text)
    assert index.query(q, k=1, evidence=False)[0].evidence is None
    assert top[0].to_dict()["kind"] == top[0].kind
    with pytest.raises(ConfigError, match="k must be a positive integer"):
        index.query(q, k=0)


def test_cross_account_only_and_min_length(news: list[Article]) -> None:
    text = next(a for a in news if a.id == "lhz-01").text
    index = DedupIndex(DedupConfig(cross_account_only=True))
    index.add([Article(id="x", text=text, account="莲花镇")])
    assert index.query(Article(id="y", text=text, account="莲花镇")) == []
    assert [m.id for m in index.query(Article(id="z", text=text, account="别的号"))] == ["x"]
    short = DedupIndex()
    short.add([Article(id="s", text="短讯一则。")])
    assert short.query(Article(id="t", text="短讯一则。")) == []


def test_duplicate_and_unknown_ids_change_nothing(news: list[Article]) -> None:
    index = DedupIndex()
    index.add(news[:3])
    with pytest.raises(DuplicateIdError, match="already in the index"):
        index.add([news[5], news[0]])
    assert len(index) == 3 and news[5].id not in index
    with pytest.raises(DuplicateIdError, match="duplicate id"):
        index.add([news[6], news[6]])
    with pytest.raises(UnknownIdError, match="1 id\\(s\\) not in the index: 'nope'") as info:
        index.remove([news[0].id, "nope"])
    assert isinstance(info.value, KeyError) and isinstance(info.value, DedupError)
    assert len(index) == 3
    assert index.remove([news[0].id, "nope"], missing_ok=True) == 1
    with pytest.raises(InputError, match="max_length"):
        DedupIndex(DedupConfig(max_length=10)).add([Article(id="long", text="很长的文章" * 5)])
    with pytest.raises(TypeError, match="expected Article"):
        index.add(["not an article"])  # type: ignore[list-item]


# ---------------------------------------------------------------------------
# save / load


def test_save_load_round_trip(news: list[Article], tmp_path: Path, config: DedupConfig) -> None:
    posts = street_posts()
    index = DedupIndex(config)
    index.add(news + posts[:6])
    index.remove(["hyt-02"])
    path = tmp_path / "posts.dedup"
    index.save(path)
    loaded = DedupIndex.load(path)
    assert len(loaded) == len(index)
    assert loaded.config.record() == config.record()
    assert loaded.info()["posts"] == len(index) and loaded.info()["format_version"] == dedup.index_file.FORMAT_VERSION
    for q in [*news, *posts]:
        assert answer(loaded, q) == answer(index, q), q.id
    # the loaded index keeps working like the original
    loaded.add(posts[6:])
    indexed = [a for a in news if a.id != "hyt-02"] + posts
    assert_like_check(loaded, indexed, posts[:3])
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["format"] == "dedup-index" and manifest["count"] == len(index)
        assert manifest["config"]["seed"] == config.seed and manifest["config"]["scheme"] == config.scheme
        assert all(name.endswith((".json", ".jsonl", ".npy")) for name in zf.namelist())


def test_empty_index_round_trip(tmp_path: Path) -> None:
    DedupIndex().save(tmp_path / "empty.dedup")
    loaded = DedupIndex.load(tmp_path / "empty.dedup")
    assert len(loaded) == 0
    assert loaded.query(Article(id="q", text="6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动。")) == []


@pytest.mark.parametrize(
    ("option", "value"),
    [("seed", 2), ("num_perm", 64), ("tokenizer", "char"), ("threshold", 0.6), ("ngram_size", 3)],
)
def test_loading_with_another_config_is_an_error(
    news: list[Article], tmp_path: Path, option: str, value: object
) -> None:
    path = tmp_path / "posts.dedup"
    index = DedupIndex()
    index.add(news[:4])
    index.save(path)
    with pytest.raises(ConfigError, match=f"different config.*{option}: recorded"):
        DedupIndex.load(path, config=DedupConfig(**{option: value}))
    # options that do not change answers may differ
    assert len(DedupIndex.load(path, config=DedupConfig(workers=2, evidence=False))) == 4


def test_changed_user_dict_is_an_error(news: list[Article], tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("荷叶塘社区 100 ns\n", encoding="utf-8")
    path = tmp_path / "posts.dedup"
    config = DedupConfig(user_dict=str(words))
    DedupIndex(config).save(path)
    assert DedupIndex.load(path, config=config).config.user_dict == str(words)
    # The file records the dictionary's hash, never a path to open: the caller gives it.
    assert str(words) not in path.read_bytes().decode("utf-8", "replace")
    with pytest.raises(ConfigError, match="pass that dictionary"):
        DedupIndex.load(path)
    words.write_text("荷叶塘社区 100 ns\n山水湾社区 100 ns\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="user_dict_sha256"):
        DedupIndex.load(path, config=config)


def _saved(news: list[Article], tmp_path: Path) -> Path:
    path = tmp_path / "posts.dedup"
    index = DedupIndex()
    index.add(news)
    index.save(path)
    return path


def test_truncated_file_is_a_clear_error(news: list[Article], tmp_path: Path) -> None:
    path = _saved(news, tmp_path)
    data = path.read_bytes()
    for size in (0, 10, len(data) // 2, len(data) - 30):
        path.write_bytes(data[:size])
        with pytest.raises(IndexFileError, match="not a dedup index, or the file is truncated"):
            DedupIndex.load(path)


def test_corrupted_file_is_a_clear_error(news: list[Article], tmp_path: Path) -> None:
    path = _saved(news, tmp_path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        member = zf.getinfo("shingles.npy")
    # a byte inside the stored shingle array: the member's CRC-32 no longer matches
    data[member.header_offset + 30 + len(member.filename) + 200] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="corrupted"):
        DedupIndex.load(path)


def test_other_bad_files(news: list[Article], tmp_path: Path) -> None:
    with pytest.raises(IndexFileError, match="no such index file"):
        DedupIndex.load(tmp_path / "missing.dedup")
    text = tmp_path / "posts.jsonl"
    text.write_text('{"id": 1}\n', encoding="utf-8")
    with pytest.raises(IndexFileError, match="not a dedup index"):
        DedupIndex.load(text)
    path = _saved(news, tmp_path)

    def rewrite(change: dict[str, object]) -> None:
        with zipfile.ZipFile(path) as zf:
            members = {name: zf.read(name) for name in zf.namelist()}
        manifest = json.loads(members["manifest.json"])
        manifest.update(change)
        members["manifest.json"] = json.dumps(manifest).encode()
        with zipfile.ZipFile(path, "w") as zf:
            for name, blob in members.items():
                zf.writestr(name, blob)

    rewrite({"version": dedup.index_file.FORMAT_VERSION + 1})
    with pytest.raises(IndexFileError, match="newer than this dedup reads"):
        DedupIndex.load(path)
    rewrite({"version": dedup.index_file.FORMAT_VERSION, "count": len(news) + 1})
    with pytest.raises(IndexFileError, match="shape"):
        DedupIndex.load(path)
    rewrite({"format": "something-else"})
    with pytest.raises(IndexFileError, match="not a dedup index"):
        DedupIndex.load(path)


def test_save_is_atomic(news: list[Article], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "posts.dedup"
    index = DedupIndex()
    index.add(news[:5])
    index.save(path)
    before = path.read_bytes()
    index.add(news[5:])
    calls = 0
    real = dedup.index_file.npy_bytes

    def crash_midway(arr: object) -> bytes:
        nonlocal calls
        calls += 1
        if calls == 4:
            problem = "disk full (simulated)"
            raise OSError(problem)
        return real(arr)  # type: ignore[arg-type]

    monkeypatch.setattr(dedup.index_file, "npy_bytes", crash_midway)
    with pytest.raises(OSError, match="simulated"):
        index.save(path)
    assert calls == 4
    assert path.read_bytes() == before
    assert len(DedupIndex.load(path)) == 5
    assert sorted(os.listdir(tmp_path)) == ["posts.dedup"]  # no temporary file left
    monkeypatch.undo()
    index.save(path)
    assert len(DedupIndex.load(path)) == len(news)


# ---------------------------------------------------------------------------
# threads


def test_threads_share_one_index(news: list[Article]) -> None:
    index = DedupIndex()
    story = [a for a in news if a.id.startswith("hyt-")]
    index.add(story[1:])
    expected = answer(index, story[0])
    assert expected
    fillers = [
        Article(id=f"filler-{i}", text=f"第{i}期：{a.text}", account=f"号{i}")
        for i, a in enumerate(news)
        if a.id.startswith(("csx", "lys", "wc"))
        for _ in range(1)
    ]
    extra = [
        Article(
            id=f"extra-{i}",
            text=f"{i}号楼居民反映楼道照明损坏，物业于{i % 28 + 1}日完成维修。",
            account="物业",
        )
        for i in range(40)
    ]
    errors: list[BaseException] = []
    answers: list[Answer] = []

    def reader() -> None:
        try:
            for _ in range(15):
                answers.append(answer(index, story[0]))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def writer() -> None:
        try:
            for a in [*fillers, *extra]:
                index.add([a])
            index.remove([a.id for a in extra[::2]])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)] + [threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(answers) == 45 and all(a == expected for a in answers)
    assert len(index) == len(story) - 1 + len(fillers) + len(extra) - len(extra[::2])


# ---------------------------------------------------------------------------
# Redis


def test_redis_index_answers_like_the_memory_index(news: list[Article], redis_url: str, config: DedupConfig) -> None:
    posts = street_posts()
    with DedupIndex.connect(redis_url, config=config) as shared:
        memory = DedupIndex(config)
        for index in (shared, memory):
            index.add(news + posts[:6])
            index.remove(["hyt-02", "a1"])
        assert shared.backend == "redis" and len(shared) == len(memory)
        for q in [*news, *posts]:
            assert answer(shared, q) == answer(memory, q), q.id
        indexed = [a for a in news + posts[:6] if a.id not in ("hyt-02", "a1")]
        assert_like_check(shared, indexed, posts)
        top = shared.query(news[0], k=1)
        assert top and top[0].evidence is not None and top[0].evidence.shared


def test_redis_index_persists_and_checks_config(news: list[Article], redis_url: str, tmp_path: Path) -> None:
    with DedupIndex.connect(redis_url) as index:
        index.add(news)
    assert DedupIndex.exists(redis_url)
    with DedupIndex.connect(redis_url) as again:
        assert len(again) == len(news)
        again.save(tmp_path / "copy.dedup")
    copy = DedupIndex.load(tmp_path / "copy.dedup")
    memory = DedupIndex()
    memory.add(news)
    for q in news:
        assert answer(copy, q) == answer(memory, q)
    with pytest.raises(ConfigError, match="seed: recorded 1, requested 7"):
        DedupIndex.connect(redis_url, config=DedupConfig(seed=7))
    missing = redis_url.replace("?index=", "?index=missing-")
    assert not DedupIndex.exists(missing)
    with pytest.raises(IndexFileError, match="no index at"):
        DedupIndex.connect(missing, create=False)


def test_redis_clear_keeps_its_own_writer_lock(
    news: list[Article], redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # clear runs under the writer lock: deleting the lock with the posts made its release
    # fail (a warning, and a lock left to expire).
    with DedupIndex.connect(redis_url) as index:
        index.add(news[:4])
        with caplog.at_level(logging.WARNING, logger="dedup.index_redis"):
            index.clear()
            index.add(news[:2])
        assert len(index) == 2
        assert not [r for r in caplog.records if "writer lock" in r.getMessage()]
        index.clear()


def test_unreachable_redis_is_a_clear_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(IndexConnectionError, match=f"cannot reach Redis at redis://127.0.0.1:{port}"):
        DedupIndex.connect(f"redis://127.0.0.1:{port}/0")
    with pytest.raises(ConfigError, match="index name"):
        DedupIndex.connect(f"redis://127.0.0.1:{port}/0?index=bad*name")


def test_redis_passwords_are_never_shown(news: list[Article], redis_url: str) -> None:
    import socket

    from dedup.index_redis import redact

    assert redact("redis://:s3cret@host:6379/0?index=a") == "redis://:***@host:6379/0?index=a"
    assert redact("redis://user:s3cret@host/0") == "redis://user:***@host/0"
    assert redact("rediss://host/0?password=s3cret&index=a") == "rediss://host/0?password=***&index=a"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for url in (f"redis://:s3cret@127.0.0.1:{port}/0", f"redis://127.0.0.1:{port}/0?password=s3cret"):
        with pytest.raises(IndexConnectionError) as info:
            DedupIndex.connect(url)
        assert "s3cret" not in str(info.value) and "***" in str(info.value)
    # A server that takes any password (none is set): the URL's secret stays out of
    # location, repr, info and the config-conflict error.
    secret_url = redis_url.replace("redis://", "redis://:s3cret@", 1) + "&password=s3cret"
    with DedupIndex.connect(secret_url) as index:
        index.add(news[:2])
        shown = [index.location, repr(index), json.dumps(index.info())]
    with pytest.raises(ConfigError) as conflict:
        DedupIndex.connect(secret_url, config=DedupConfig(seed=7))
    shown.append(str(conflict.value))
    assert all("s3cret" not in text for text in shown), shown


_WORKER = r"""
import json, sys
from dedup import DedupIndex, read_articles
url, path, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
queries = read_articles(path)
index = DedupIndex.connect(url, create=False)
seen = []
for _ in range(rounds):
    seen.append({q.id: sorted(m.id for m in index.query(q, k=None, evidence=False)) for q in queries})
print(json.dumps(seen))
"""


def _write_jsonl(path: Path, posts: Sequence[Article]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for a in posts:
            fh.write(json.dumps({"id": a.id, "text": a.text, "account": a.account}, ensure_ascii=False) + "\n")
    return path


def _run_worker(url: str, queries: Path, rounds: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, url, str(queries), str(rounds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_processes_share_a_redis_index(news: list[Article], redis_url: str, tmp_path: Path) -> None:
    story = [a for a in news if a.id.startswith("hyt-")]
    queries = _write_jsonl(tmp_path / "queries.jsonl", [story[0]])
    with DedupIndex.connect(redis_url) as index:
        index.add(story[1:3])
        # another process sees what this one added
        worker = _run_worker(redis_url, queries, 1)
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        assert json.loads(out) == [{"hyt-01": ["hyt-02", "hyt-03"]}]
        # one process adds while another queries: every answer is a consistent state
        worker = _run_worker(redis_url, queries, 30)
        others = [a for a in news if not a.id.startswith("hyt-")]
        for a in [*story[3:], *others]:
            index.add([a])
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        rounds = json.loads(out)
        assert len(rounds) == 30
        allowed = (
            {"hyt-02", "hyt-03"},
            {"hyt-02", "hyt-03", "hyt-04"},
            {"hyt-02", "hyt-03", "hyt-04", "hyt-05"},
        )
        assert all(set(r["hyt-01"]) in allowed for r in rounds)
        # and this process sees what the other one would
        worker = _run_worker(redis_url, queries, 1)
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        assert json.loads(out) == [{"hyt-01": sorted(m.id for m in index.query(story[0], k=None))}]


@pytest.fixture
def two_writers(redis_url: str) -> Iterator[str]:
    yield redis_url


def test_writers_in_two_processes_take_turns(news: list[Article], two_writers: str, tmp_path: Path) -> None:
    first = _write_jsonl(tmp_path / "first.jsonl", news[:8])
    second = _write_jsonl(tmp_path / "second.jsonl", news[8:])
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "dedup", "index", "add", two_writers, str(path), "-q"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in (first, second)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    with DedupIndex.connect(two_writers) as index:
        assert len(index) == len(news)
        memory = DedupIndex()
        memory.add(news)
        for q in news:
            assert answer(index, q) == answer(memory, q)


def test_a_follow_up_is_no_match_for_the_report_it_recaps(report_and_follow_up: tuple[str, str]) -> None:
    report, follow_up = report_and_follow_up
    config = DedupConfig(threshold=0.5)
    indexed = [Article(id="report", text=report), Article(id="repost", text="关注我们\n" + report)]
    index = DedupIndex(config)
    index.add(indexed)
    query = Article(id="follow-up", text=follow_up)
    assert answer(index, query) == reference(config, indexed, query) == {}
    assert {m.id for m in index.query(Article(id="copy", text=report + "\n编辑：张三"), k=None)} == {
        "report",
        "repost",
    }
