from __future__ import annotations

import dataclasses
import random
from datetime import datetime

import pytest
from chrome_pages import pages

from dedup import Article, DedupConfig, Deduplicator, DedupResult, DuplicateIdError, InputError, find_duplicates
from dedup.extraction import Execution
from dedup.features import FeatureExtractor


def groups_of(result: DedupResult) -> list[list[str]]:
    return sorted(sorted(s.ids) for s in result.stories)


def test_fixture_batch_gives_expected_stories(dedup: Deduplicator, news: list[Article], expected_groups) -> None:  # type: ignore[no-untyped-def]
    result = dedup.check(news)
    assert groups_of(result) == expected_groups


def test_template_siblings_stay_apart_and_are_reported(dedup: Deduplicator, news: list[Article]) -> None:
    result = dedup.check(news)
    story_of = {pid: n for n, s in enumerate(result.stories) for pid in s.ids}
    assert story_of["hyt-01"] != story_of["ssw-01"]
    assert any({p.a, p.b} == {"hyt-01", "ssw-01"} for p in result.template_pairs)
    assert result.summary.template_pairs == len(result.template_pairs)


def test_each_variant_kind(dedup: Deduplicator, news: list[Article]) -> None:
    result = dedup.check(news)
    kinds = {(p.a, p.b): p.kind for s in result.stories for p in s.pairs}
    assert kinds[("hyt-01", "hyt-02")] == "exact"  # boilerplate only
    assert kinds[("hyt-01", "hyt-04")] == "exact"  # HTML-wrapped
    assert kinds[("hyt-01", "hyt-05")] == "contained"  # truncated lead


def test_original_is_earliest_and_story_fields(dedup: Deduplicator, news: list[Article]) -> None:
    result = dedup.check(news)
    story = next(s for s in result.stories if "hyt-01" in s.ids)
    assert story.original == "hyt-01" == story.ids[0]
    assert story.accounts[0] == "荷叶塘社区"
    assert len(set(story.accounts)) == len(story.accounts) == 5
    assert [p.id for p in story.posts] == list(story.ids)
    times = [p.published_at for p in story.posts]
    assert times == sorted(times)  # type: ignore[type-var]
    connected = {pid for p in story.pairs for pid in (p.a, p.b)}
    assert connected == set(story.ids)
    for pair in story.pairs:
        assert 0.0 <= pair.score <= 1.0
        assert pair.evidence is not None and pair.evidence.shared


def test_summary(dedup: Deduplicator, news: list[Article]) -> None:
    result = dedup.check(news)
    s = result.summary
    assert s.articles == len(news)
    assert s.stories == len(result.stories)
    assert s.copies == sum(len(st.ids) - 1 for st in result.stories)
    assert s.cross_account_stories == s.stories


def test_input_order_does_not_change_groups(dedup: Deduplicator, news: list[Article]) -> None:
    expected = groups_of(dedup.check(news))
    rng = random.Random(7)
    for _ in range(3):
        shuffled = news[:]
        rng.shuffle(shuffled)
        assert groups_of(dedup.check(shuffled)) == expected


def test_original_ties_go_to_input_order() -> None:
    text = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放宣传资料200余份。"
    when = datetime(2024, 6, 12, 8, 0)
    posts = [Article(id=i, text=text, account=i, published_at=when) for i in ("b", "a")]
    assert find_duplicates(posts).stories[0].original == "b"
    posts[1] = Article(id="a", text=text, account="a", published_at=datetime(2024, 6, 11))
    assert find_duplicates(posts).stories[0].original == "a"


def test_cross_account_only(news: list[Article]) -> None:
    text = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放宣传资料200余份。"
    posts = [Article(id="1", text=text, account="甲"), Article(id="2", text=text + "\n欢迎转发", account="甲")]
    assert find_duplicates(posts).summary.stories == 1
    assert find_duplicates(posts, cross_account_only=True).summary.stories == 0


def test_min_length_skips_short_posts() -> None:
    posts = [Article(id="1", text="开会了。"), Article(id="2", text="开会了。")]
    result = find_duplicates(posts)
    assert result.summary.stories == 0 and result.summary.too_short == 2
    assert find_duplicates(posts, min_length=0).summary.stories == 1


def test_duplicate_ids_and_long_articles_are_errors(dedup: Deduplicator) -> None:
    with pytest.raises(DuplicateIdError, match="duplicate id '1'"):
        dedup.check([Article(id="1", text="一"), Article(id="1", text="二")])
    with pytest.raises(InputError, match="max_length"):
        Deduplicator(DedupConfig(max_length=10)).check([Article(id="1", text="长" * 11)])


def test_empty_batch() -> None:
    result = find_duplicates([])
    assert result.stories == () and result.summary.articles == 0


# Workers for every batch, however small, in small chunks.
EAGER = Execution(parallel_min=1, chunk_size=3, verify_chunk=5)


def test_workers_give_identical_results(news: list[Article]) -> None:
    serial = Deduplicator(DedupConfig(workers=1)).check(news)
    parallel = Deduplicator(DedupConfig(workers=2), execution=EAGER).check(news)
    assert parallel == serial


def test_progress_reports_every_stage(news: list[Article]) -> None:
    seen: list[str] = []
    Deduplicator(DedupConfig()).check(news, progress=lambda stage, done, total: seen.append(stage))
    for stage in ("normalize", "tokenize", "candidates", "verify", "cluster", "evidence"):
        assert stage in seen


def test_excerpt_of_a_later_paragraph_is_found() -> None:
    paragraphs = [
        "3月21日，莲花镇在镇中心小学组织开展消防安全应急疏散演练，镇应急办、派出所和消防救援站共60余人参加，全镇师生积极配合。",
        "演练模拟教学楼二楼突发火情，警报响起后，1200余名师生在老师的指挥下用湿毛巾捂住口鼻、弯腰低姿，沿疏散通道有序撤离。",
        "随后，消防救援站队员李志强现场讲解了灭火器的使用方法和火场逃生要点，并邀请师生代表上台实操体验，现场气氛热烈。",
        "莲花镇党委副书记周敏表示，全镇将以此次演练为契机，在4月底前完成对辖区15所学校、8家养老机构的消防安全隐患排查。",
    ]
    original = Article(id="full", text="\n".join(paragraphs), account="莲花镇")
    # a digest that starts with the third paragraph and stops mid-way
    excerpt = Article(id="excerpt", text=paragraphs[2][:45] + "…", account="岳麓区教育局")
    other = Article(
        id="other",
        text="7月10日，望城区图书馆暑期少儿阅读季正式启动，活动将持续至8月31日，设置绘本共读等12项体验项目。",
        account="望城区图书馆",
    )
    result = find_duplicates([original, other, excerpt])
    assert [sorted(s.ids) for s in result.stories] == [["excerpt", "full"]]
    assert result.stories[0].pairs[0].kind == "contained"


# One long paragraph (a scraped page keeps no line breaks) of ten sentences.
_ONE_PARAGRAPH = (
    "11月6日上午，白沙洲街道在社区服务中心召开老旧小区改造工作推进会，街道办事处、区住建局和三家施工单位负责人参加。"
    "会议首先通报了今年以来全街道14个老旧小区改造项目的进展情况，截至10月底已完成管网更新约2.3万米。"
    "区住建局工程科科长刘建平在会上指出，部分项目存在施工围挡不规范、建筑垃圾清运不及时等问题。"
    "他要求各施工单位在11月20日前完成整改，并建立每周例会制度，及时协调解决居民反映的问题。"
    "随后，与会人员实地察看了新村小区雨污分流改造现场，详细了解地下管网铺设和路面恢复的施工工艺。"
    "新村小区居民代表张桂兰说，改造后小区再也不怕下雨天积水了，楼道里还新装了感应灯和扶手。"
    "据介绍，今年白沙洲街道计划投入改造资金4800余万元，惠及居民5600余户，年底前将全部完工。"
    "街道党工委书记王立新表示，要把老旧小区改造这件好事办好办实，让群众有实实在在的获得感。"
    "下一步，街道将组织居民议事会对已完工项目进行验收打分，验收结果与施工单位的结算款直接挂钩。"
    "同时，街道还将探索引入物业服务企业，推动改造后的小区实现长效管理，防止出现重建轻管的现象。"
)


def test_an_excerpt_of_sentences_inside_one_paragraph_is_found() -> None:
    sentences = _ONE_PARAGRAPH.split("。")
    original = Article(id="full", text=_ONE_PARAGRAPH, account="白沙洲街道")
    # Two sentences from the middle, one dropped between them: neither the lead nor a
    # paragraph lead, and too small a part of the whole for the full-text bands.
    excerpt = Article(id="excerpt", text=f"{sentences[4]}。{sentences[6]}。", account="区住建局")
    other = Article(id="other", text=_OTHER_EVENT, account="望城区图书馆")
    found = find_duplicates([original, other, excerpt])
    assert [sorted(s.ids) for s in found.stories] == [["excerpt", "full"]]
    assert found.stories[0].pairs[0].kind == "contained"
    # The sentence bands find it: without them the pair is never compared.
    off = DedupConfig(params=dataclasses.replace(DedupConfig().params, sentence_bands=0))
    assert Deduplicator(off).check([original, other, excerpt]).stories == ()


_OTHER_EVENT = "7月10日，望城区图书馆暑期少儿阅读季正式启动，活动将持续至8月31日，设置绘本共读等12项体验项目。"


def test_template_batches_stay_bounded() -> None:
    # 300 one-line notices from one template: nearly every pair looks alike.
    posts = [
        Article(
            id=str(k),
            text=f"{k}号楼{k % 7 + 1}单元于6月{k % 28 + 1}日{k % 12 + 8}时停水，请住户{k}提前储水。",
            account=f"社区{k % 9}",
        )
        for k in range(300)
    ]
    result = find_duplicates(posts, min_length=10)
    assert len(result.template_pairs) <= 1000
    assert result.summary.template_pairs >= len(result.template_pairs)


def test_near_copies_from_one_account_form_a_story() -> None:
    base = "6月12日上午，荷叶塘社区联合岳麓区城管局在社区文化广场开展垃圾分类主题宣传活动，社区党委书记王建华、30余名志愿者和200多名居民参加。志愿者通过展板讲解、有奖问答和分类游戏等形式向居民介绍分类标准。"
    # Small edits at the end that carry no event key (a differing number there would).
    posts = [
        Article(id=str(k), text=base + tail, account="荷叶塘社区") for k, tail in enumerate(["（完）", "（转）", ""])
    ]
    result = find_duplicates(posts)
    assert [sorted(s.ids) for s in result.stories] == [["0", "1", "2"]]


def test_workers_send_back_the_same_features(news: list[Article]) -> None:
    batch = [*news, Article(id="empty", text="。。。", account="荷叶塘社区")]
    serial = Deduplicator(DedupConfig(workers=1)).extract_features(batch)
    parallel = Deduplicator(DedupConfig(workers=2), execution=Execution(parallel_min=1, chunk_size=4)).extract_features(
        batch
    )
    assert len(parallel) == len(serial)
    for p, s in zip(parallel, serial, strict=True):
        for name in ("position", "id", "account", "length", "n_words", "body_hash", "specifics"):
            assert getattr(p, name) == getattr(s, name), name
        for name in ("shingles", "lead", "sequence", "paragraphs", "paragraph_bounds"):
            a, b = getattr(p, name), getattr(s, name)
            assert a.dtype == b.dtype and a.tolist() == b.tolist(), name


def test_workers_started_by_spawn_give_identical_results(news: list[Article]) -> None:
    # Where fork is missing (macOS, Windows) tasks carry the articles and normalized chunks.
    serial = Deduplicator(DedupConfig(workers=1)).check(news)
    spawned = Execution(parallel_min=1, chunk_size=3, start_method="spawn")
    parallel = Deduplicator(DedupConfig(workers=2), execution=spawned).check(news)
    assert parallel == serial


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_a_batch_still_being_read_gives_the_result_of_the_list(news: list[Article], start_method: str) -> None:
    # A reader (any iterable that is not a sequence) is normalized chunk by chunk as it is read.
    seen: list[tuple[str, int, int]] = []
    batch = [dataclasses.replace(a, id=f"{a.id}-{k}") for k in range(4) for a in news]
    listed = Deduplicator(DedupConfig(workers=1)).check(batch)
    execution = Execution(parallel_min=4, chunk_size=2, start_method=start_method)  # type: ignore[arg-type]
    read = Deduplicator(DedupConfig(workers=2), execution=execution).check(
        (a for a in batch), skipped=lambda: 7, progress=lambda *update: seen.append(update)
    )
    assert read.stories == listed.stories and read.template_pairs == listed.template_pairs
    assert read.summary == dataclasses.replace(listed.summary, skipped=7)
    normalized = [(done, total) for stage, done, total in seen if stage == "normalize"]
    assert normalized[-1] == (len(batch), len(batch))
    assert all(done <= total for done, total in normalized)  # of the articles read so far
    assert normalized[0][1] < len(batch)  # chunks were normalized before the last was read


@pytest.mark.parametrize("workers", [1, 2])
def test_a_reader_failing_late_raises_from_the_check(news: list[Article], workers: int) -> None:
    def reader():  # type: ignore[no-untyped-def]
        yield from news
        yield news[3]  # the same id again, after the workers have started

    execution = Execution(parallel_min=4, chunk_size=3)
    with pytest.raises(DuplicateIdError, match=repr(news[3].id)):
        Deduplicator(DedupConfig(workers=workers), execution=execution).check(reader())

    def broken():  # type: ignore[no-untyped-def]
        yield from news
        msg = "not valid JSON"
        raise InputError(msg, path="posts.jsonl", lineno=len(news) + 1)

    with pytest.raises(InputError, match=f"posts.jsonl:{len(news) + 1}"):
        Deduplicator(DedupConfig(workers=workers), execution=execution).check(broken())


def test_stream_gives_the_batch_as_read(news: list[Article]) -> None:
    with Deduplicator(DedupConfig()).check_stream(iter(news)) as stream:
        assert list(stream.articles) == news


def _copies_batch() -> list[Article]:
    story = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放宣传资料200余份。\n居民纷纷表示将从自身做起。"
    other = "6月15日，山水湾社区举办消防安全演练，邀请消防员讲解灭火器使用方法，共有80余名居民参加。"
    footer = "岳麓街道融媒体中心出品。"
    posts = []
    # Word-for-word copies under several accounts and titles (title specifics differ, an
    # account name appears in the text), an account that learns its footer (its posts
    # are re-joined, touched or not), and copies of a post carrying that footer.
    for k, account in enumerate(["荷叶塘社区", "岳麓街道", "山水湾社区", "岳麓街道", "长沙县民政局"]):
        posts.append(Article(id=f"s{k}", title=f"【动态】{k + 3}月荷叶塘社区活动", text=story, account=account))
    for k in range(4):
        posts.append(Article(id=f"f{k}", title="消防演练", text=f"{other}\n{footer}", account="岳麓街道"))
        posts.append(Article(id=f"g{k}", title="", text=f"{other}\n{footer}", account="山水湾社区"))
    posts.append(Article(id="plain", title="", text=story + "\n" + footer, account="岳麓街道"))
    # Two accounts that both learn one credit line from their own posts, then post one
    # story with it: stripped alike, so copies across accounts; a third account that
    # did not learn it keeps it (no copy of theirs).
    credit = "本文由望城区融媒体中心供稿。"
    places = ["桐溪港社区", "白箬铺镇", "乌山街道", "茶亭镇"]
    for account in ("望城发布", "星城社区"):
        for k, place in enumerate(places):
            event = f"{k + 3}月{k + 8}日，{place}组织{account}志愿者清理河道垃圾{k * 7 + 20}袋，守护一江碧水。"
            posts.append(Article(id=f"{account}-{k}", title="", text=f"{event}\n{credit}", account=account))
    for account in ("望城发布", "星城社区", "望城发布", "长沙县民政局"):
        posts.append(Article(id=f"c{len(posts)}", title="", text=f"{story}\n{credit}", account=account))
    # A site's pages in its chrome, one of them reposted by two accounts: stripped of the
    # chrome alike, so copies.
    site = pages()
    posts += site
    posts += [Article(id=f"r{k}", title="转载", text=site[0].text, account=f"转载号{k}") for k in range(2)]
    return posts


@pytest.mark.parametrize("workers", [1, 2])
def test_copies_share_the_features_computed_for_each_alone(workers: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    import dedup.extraction
    from dedup.extraction import extract_batch

    batch = _copies_batch()
    execution = Execution(workers=workers, parallel_min=1, chunk_size=3)
    fx = FeatureExtractor(DedupConfig(workers=workers))
    _, feats, bands = extract_batch(fx, batch, execution)
    plan_of = dedup.extraction.plan_copies

    def no_copies(*args, **kwargs):  # type: ignore[no-untyped-def]
        plan = plan_of(*args, **kwargs)
        copied = plan.source != np.arange(len(plan.source))
        assert copied.sum() >= 10  # the copies were found
        assert (copied & plan.touched).sum() >= 4  # also those that carry learned sentences or chrome
        n = len(plan.source)
        return dataclasses.replace(plan, source=np.arange(n), is_source=np.zeros(n, dtype=bool))

    monkeypatch.setattr(dedup.extraction, "plan_copies", no_copies)
    _, alone, alone_bands = extract_batch(FeatureExtractor(DedupConfig(workers=workers)), batch, execution)
    for a, b in zip(feats, alone, strict=True):
        for name in ("position", "id", "account", "length", "n_words", "body_hash", "specifics", "key_words"):
            assert getattr(a, name) == getattr(b, name), (a.id, name)
        for name in ("shingles", "lead", "sequence", "paragraphs", "paragraph_bounds", "key_positions", "title_words"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), (a.id, name)
    assert feats.specifics() == [f.specifics for f in alone]
    assert feats.body_hashes() == [f.body_hash for f in alone]
    for name in ("full", "lead", "paragraphs", "owners", "full_tie", "lead_tie", "paragraph_tie", "post_order"):
        assert np.array_equal(getattr(bands, name), getattr(alone_bands, name)), name
    monkeypatch.undo()
    config = DedupConfig(workers=workers)
    assert Deduplicator(config, execution=execution).check(batch) == Deduplicator(config).check(batch)


def test_check_is_safe_from_two_threads(news: list[Article]) -> None:
    import threading

    expected = Deduplicator(DedupConfig(workers=1)).check(news)
    shared = Deduplicator(DedupConfig(workers=2), execution=EAGER)
    results: list[DedupResult] = []
    threads = [threading.Thread(target=lambda: results.append(shared.check(news))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results == [expected, expected]


# A forum's furniture: the whole scraped body of three threads.
_FORUM = (
    "进入贴吧全吧搜索吧内搜索搜贴搜人进吧搜标签签到排名今日本吧第个签到，本吧因你更精彩，明天继续来努力！"
    "本吧签到人数一键签到成为超级会员，使用一键签到本月漏签次，成为超级会员赠送补签卡，点击日历上漏签日期即可进行补签。"
)


def test_identical_furniture_joins_only_posts_whose_headlines_agree() -> None:
    posts = [
        Article(id="a", title="华为手机的桌面备份和锁定在哪里设置_手机吧", text=_FORUM),
        Article(id="b", title="表演系师哥有问题请留言_中央戏剧学院吧", text=_FORUM),
        Article(id="c", title="华为手机桌面备份和锁定在哪里设置？_手机吧", text=_FORUM),
    ]
    result = Deduplicator(DedupConfig()).check(posts)
    assert [s.ids for s in result.stories] == [("a", "c")]
    assert {(p.a, p.b, p.kind) for p in result.template_pairs} == {("a", "b", "template")}
    pair = result.template_pairs[0]
    assert pair.evidence is not None and pair.evidence.headlines_apart


def test_a_follow_up_recapping_a_report_stays_out_of_its_story(report_and_follow_up: tuple[str, str]) -> None:
    report, follow_up = report_and_follow_up
    posts = [
        Article(id="report", text=report, account="荷叶塘社区"),
        Article(id="repost", text="关注我们\n" + report, account="岳麓区城管局"),
        Article(id="follow-up", text=follow_up, account="荷叶塘社区"),
    ]
    result = find_duplicates(posts, threshold=0.5)
    assert groups_of(result) == [["report", "repost"]]
    assert not result.template_pairs  # a follow-up is no template sibling either
