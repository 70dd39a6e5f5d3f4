"""Event keys and the slots where two posts' keys conflict."""

from __future__ import annotations

import pytest

from dedup import Article, DedupConfig
from dedup.features import FeatureExtractor, Features
from dedup.keys import key_conflicts

FORM = (
    "{day}上午，{place}社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，"
    "发放宣传资料{n}余份，现场还设置了有奖问答环节，吸引了不少居民参与。"
)


@pytest.fixture(scope="module")
def fx() -> FeatureExtractor:
    return FeatureExtractor(DedupConfig())


def feats(fx: FeatureExtractor, text: str, *, id_: str = "x", account: str = "") -> Features:
    return fx.extract(Article(id=id_, text=text, account=account), position=0)


def conflicts(
    fx: FeatureExtractor, a: str, b: str, accounts: tuple[str, str] = ("", "")
) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    fa = feats(fx, a, id_="a", account=accounts[0])
    fb = feats(fx, b, id_="b", account=accounts[1])
    found = key_conflicts(fa, fb, max_slot=6)
    # Symmetric: the same slots, sides swapped.
    assert key_conflicts(fb, fa, max_slot=6) == [(y, x) for x, y in found]
    return found


def test_another_day_count_or_community_in_a_slot_conflicts(fx: FeatureExtractor) -> None:
    base = FORM.format(day="6月12日", place="荷叶塘", n=200)
    assert conflicts(fx, base, FORM.format(day="6月19日", place="荷叶塘", n=200)) == [(("12",), ("19",))]
    assert conflicts(fx, base, FORM.format(day="6月12日", place="荷叶塘", n=300)) == [(("200",), ("300",))]
    # Local names are keys by their place suffix (社区), whatever words jieba cuts them into.
    ((ours, theirs),) = conflicts(fx, base, FORM.format(day="6月12日", place="山水湾", n=200))
    assert "".join(ours) in "荷叶塘" and "".join(theirs) == "山水湾"
    assert conflicts(fx, base, base) == []


def test_one_number_written_two_ways_is_one_key(fx: FeatureExtractor) -> None:
    a = "今年以来，全县共接待游客2000万人次，同比增长12.5%，旅游收入再创新高。各景区秩序良好。"
    assert conflicts(fx, a, a.replace("2000万", "2,000万")) == []
    # A line break inside a number (a copy reflowed) splits it, not a different number.
    assert conflicts(fx, a, a.replace("12.5%", "12.\n5%")) == []


def test_an_afternoon_hour_written_two_ways_is_one_key(fx: FeatureExtractor) -> None:
    a = "12月10日下午1点左右，一辆货车在中华西路与汇德路交叉路口失控，连撞十多辆车，所幸无人伤亡。"
    assert conflicts(fx, a, a.replace("下午1点左右", "下午13时许")) == []
    assert conflicts(fx, a, a.replace("下午1点", "晚上8点")) == [(("13",), ("20",))]
    # A morning hour, or a count after 下午, is read as written.
    morning = a.replace("下午1点", "上午1点")
    assert conflicts(fx, morning, morning.replace("上午1点", "上午13点")) == [(("1",), ("13",))]
    games = "下午3场比赛在体育馆举行，观众超过两千人，比赛结束后双方教练接受了记者采访。"
    assert conflicts(fx, games, games.replace("3场", "15场")) == [(("3",), ("15",))]


def test_missing_keys_and_long_rewrites_are_not_conflicts(fx: FeatureExtractor) -> None:
    base = FORM.format(day="6月12日", place="荷叶塘", n=200)
    # A copy without the date: missing, not conflicting.
    assert conflicts(fx, base, base.replace("6月12日上午，", "")) == []
    # A passage rewritten at length (more than max_slot words each side) is no slot.
    rewritten = base.replace("发放宣传资料200余份", "发放了300多份图文并茂的宣传册和200个印有分类标识的环保购物袋")
    assert conflicts(fx, base, rewritten) == []


def test_reordered_sentences_keep_their_keys(fx: FeatureExtractor) -> None:
    first = "3月5日，县人民医院专家团队走进柳湾村开展义诊，共服务群众120人次。"
    second = "8日，专家团队又来到石桥村，为村民讲解慢性病用药知识，发放药品30余盒。"
    third = "活动得到了村民的一致好评，大家纷纷表示希望多开展这样的活动。"
    assert conflicts(fx, first + second + third, second + first + third) == []


def test_quoted_titles_conflict_unless_one_is_an_edit_of_the_other(fx: FeatureExtractor) -> None:
    a = "当晚，中央广播电视总台播发央视快评《坚定不移推进全面从严治党》，引发广泛关注。"
    b = a.replace("坚定不移推进全面从严治党", "奋力谱写中国式现代化新篇章")
    assert conflicts(fx, a, b) == [(("坚定不移推进全面从严治党",), ("奋力谱写中国式现代化新篇章",))]
    assert conflicts(fx, a, a.replace("坚定不移推进", "坚定不移地推进")) == []


def test_account_names_and_bylines_are_not_keys(fx: FeatureExtractor) -> None:
    a = "新华社北京6月3日电（记者王明）国务院新闻办公室3日举行新闻发布会，介绍全国春播进展情况。"
    b = a.replace("6月3日电（记者王明）", "6月4日电（记者李强）")
    assert conflicts(fx, a, b) == []
    text = "荷叶塘社区高度重视此项工作，组织志愿者开展入户宣传，发放资料二百份。"
    other = text.replace("荷叶塘", "山水湾")
    assert conflicts(fx, text, other) != []  # the same posts, from accounts of other names
    assert conflicts(fx, text, other, ("荷叶塘社区", "山水湾社区")) == []


def test_one_amount_in_two_units_is_one_key(fx: FeatureExtractor) -> None:
    a = "公司拟发行股份数量为15.555亿股，交易对价暂定为30.5亿元，博士生被骗2.5万元，本次交易构成关联交易。"
    b = a.replace("15.555亿股", "1,555,508,410股").replace("2.5万元", "25000元")
    assert conflicts(fx, a, b) == []
    # Another amount in the same units still conflicts, and so does one off by ten.
    assert conflicts(fx, a, a.replace("2.5万元", "3.5万元")) != []
    assert conflicts(fx, a, a.replace("30.5亿元", "30.5万元")) != []
    # A unit's prefix is no count: 9000万 + 千瓦 over a line break is 9000 + 万千瓦 in one line.
    # A weekday is no number: one report's 周五 is the other's 11月2日.
    d = "这家公司在周五主动向国家公路交通安全管理局提交了安全报告，这也是第六家这么做的企业。"
    assert conflicts(fx, d, d.replace("在周五", "11月2日")) == []
    c = "截至年底，装机规模超过9000万\n千瓦。与此同时，产业链上下游的技术创新加快推进。"
    assert conflicts(fx, c, c.replace("万\n千瓦", "万千瓦")) == []


def test_a_reposts_credit_is_attribution(fx: FeatureExtractor) -> None:
    text = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放资料二百份。"
    credits = ("本文转载自《{}》公众号。", "编辑：{}", "转自：{}\n")
    for credit in credits:
        a, b = text + credit.format("长沙县民政局"), text + credit.format("望城区城管局")
        assert conflicts(fx, a, b) == [], credit
    # After 报道： comes the report itself, not a credit: its day still counts.
    report = "据新华社报道：3月5日，荷叶塘社区开展垃圾分类宣传活动，志愿者向居民讲解分类知识。"
    assert conflicts(fx, report, report.replace("3月5日", "3月6日")) == [(("5",), ("6",))]


def test_datelines_further_apart_than_a_few_days_conflict(fx: FeatureExtractor) -> None:
    text = "新浪娱乐讯 北京时间11月5日消息，演员王明加盟新片《山海》，该片由李强执导，已正式开拍，预计明年上映。"
    # Another film's casting news from the same release, filed ten days earlier.
    assert conflicts(fx, text, text.replace("11月5日", "10月26日")) == [(("11月", "5日"), ("10月", "26日"))]
    # A month apart on the same day of the month, and across a month's end.
    assert conflicts(fx, text, text.replace("11月5日", "10月5日")) != []
    assert conflicts(fx, text.replace("11月5日", "11月1日"), text.replace("11月5日", "10月30日")) == []
    # A rewrite filed the next day, a copy without the dateline: the same event.
    assert conflicts(fx, text, text.replace("11月5日", "11月6日")) == []
    assert conflicts(fx, text, text.replace("新浪娱乐讯 北京时间11月5日消息，", "")) == []
    # A report quoted further in (据新华社…电) is no dateline of the post: a repost that
    # dropped its own dateline still opens the same way.
    commentary = "".join(f"第{k}段评论指出，基层治理需要久久为功，社区工作要抓细抓实。" for k in range(2))
    quoted = commentary + "据新华社北京3月5日电，国务院常务会议部署推进社区治理工作。"
    assert conflicts(fx, "新华社北京3月10日电 " + quoted, quoted) == []
    far = "".join(f"第{k}段评论指出，基层治理需要久久为功，社区工作要抓细抓实。" for k in range(12))
    assert conflicts(fx, "新华社北京3月10日电 " + far + "新华社北京3月5日电", far + "新华社北京3月5日电") == []
    # A dateline giving the day alone (新华社北京13日电) is compared by the day.
    news = "新华社北京6月3日电（记者王明）国务院新闻办公室举行新闻发布会，介绍全国春播进展情况。"
    assert conflicts(fx, news, news.replace("6月3日电", "13日电")) == [(("6月", "3日"), ("13日",))]


def test_the_dateline_window_is_a_parameter(fx: FeatureExtractor) -> None:
    text = "中新网11月5日电 据报道，演员王明加盟新片《山海》，该片由李强执导，已正式开拍，预计明年上映。"
    a, b = feats(fx, text, id_="a"), feats(fx, text.replace("11月5日", "11月12日"), id_="b")
    assert key_conflicts(a, b, max_slot=6) != []
    assert key_conflicts(a, b, max_slot=6, dateline_days=10.0) == []


def test_a_dateline_does_not_hide_the_leads_keys(fx: FeatureExtractor) -> None:
    # The dateline's clause runs into the lead up to the first comma: the community there
    # is still a key.
    a = "新华社长沙3月5日电 荷叶塘社区开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放资料二百份。"
    ((ours, theirs),) = conflicts(fx, a, a.replace("荷叶塘", "山水湾"))
    assert "".join(ours) in "荷叶塘" and "".join(theirs) in "山水湾"
    # A byline's or credit's date is no dateline.
    body = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放资料二百份。"
    assert conflicts(fx, body + "（编辑 王明 6月13日）", body + "（编辑 李强 6月25日）") == []
    # Consecutive days across February's end are one day apart, whatever the year.
    news = "新华社北京2月28日电 国务院新闻办公室举行新闻发布会，介绍全国春播进展情况。"
    assert conflicts(fx, news, news.replace("2月28日", "3月1日")) == []


def test_weekdays_and_amounts_in_units_edge_cases(fx: FeatureExtractor) -> None:
    notice = "荷叶塘社区定于周三在文化广场开展垃圾分类宣传活动，欢迎居民参加。"
    assert conflicts(fx, notice, notice.replace("周三", "周五")) == [(("周3",), ("周5",))]
    assert conflicts(fx, notice, notice.replace("周三", "星期三")) == []
    money = "该项目计划投资100万元，用于改造社区活动中心和老年食堂，年内完工。"
    assert conflicts(fx, money, money.replace("100万元", "1400000元")) != []
    assert conflicts(fx, money, money.replace("100万元", "1000000元")) == []
    assert conflicts(fx, "万万没想到" + money, "万万没想到" + money) == []
    # Absurd multipliers are no amount (and no overflow).
    huge = "公司宣布投资5" + "亿" * 48 + "元建设社区中心。"
    a, b = feats(fx, huge, id_="a"), feats(fx, huge.replace("5" + "亿" * 48, "6"), id_="b")
    assert isinstance(key_conflicts(a, b, max_slot=60), list)


def test_a_posts_keys_do_not_depend_on_its_batch(fx: FeatureExtractor) -> None:
    before = Article(id="a", text="今天我们一起学习这个非常重要的知识内容大家都觉得很好来源：甲")
    post = Article(id="b", text="王明在北京开展垃圾分类宣传活动。")
    alone = fx.extract(post, position=0)
    together = fx.extract_many([before, post])[1]
    assert together.key_words == alone.key_words == ("王明", "北京")


def test_a_guests_name_substituted_wherever_it_recurs_conflicts(fx: FeatureExtractor) -> None:
    # Transliterated names (the dictionary tags them as names; not shaped like Chinese
    # ones) fill a template's guest slot wherever the guest is named: another visit.
    form = (
        "国家主席8日上午在人民大会堂举行仪式，欢迎来访的总统{g}。{g}在国家主席陪同下检阅仪仗队。"
        "两国元首观看分列式后举行会谈，{g}表示愿同中方深化各领域合作。"
    )
    a = form.format(g="赛义德")
    assert conflicts(fx, a, form.format(g="特朗普")) == [(("赛义德",), ("特朗普",))]
    # One substitution alone is an edit, not a filled-in slot.
    once = a.replace("欢迎来访的总统赛义德", "欢迎来访的总统特朗普")
    assert conflicts(fx, a, once) == []
    # Two spellings of one transliterated name are one name.
    assert conflicts(fx, a, form.format(g="萨义德")) == []
