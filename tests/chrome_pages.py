"""Made-up pages of one site: each a different event inside the site's chrome."""

from __future__ import annotations

from dedup import Article

# A site's navigation and reprint notice around every page: two lines, a small part of each page.
NAV = "网站首页 | 新闻中心 | 政务公开 | 互动交流。本网站所刊登的各种新闻、信息均为本站版权所有，未经协议授权禁止转载。"
NOTICE = "本网站所刊登的各种新闻、信息均为本站版权所有，未经协议授权禁止转载。"
EVENTS = [
    "3月2日，清河镇组织农技人员深入田间地头，为种植户讲解小麦春季追肥和病虫害防治技术，"
    "现场发放技术手册二百余份，解答群众疑问三十多个。",
    "3月4日，城南社区联合派出所民警在小区广场开展防范电信诈骗宣传，通过典型案例讲解冒充客服退款、"
    "刷单返利等常见骗局，提醒居民守好钱袋子。",
    "3月6日，县人民医院专家团队走进柳湾村开展义诊，为村民免费测量血压血糖，开展心电图检查，"
    "并向慢性病患者讲解用药常识，受益群众一百二十余人。",
    "3月9日，县消防救援大队走进第三实验小学，向师生演示灭火器使用方法，并组织全校一千二百名学生"
    "进行紧急疏散演练，整个过程用时四分钟。",
    "3月11日，河东街道召开春季防火工作部署会，要求各村严格落实野外用火管控，加强重点时段巡查，"
    "组建扑火队伍十二支，储备物资一批。",
    "3月13日，县图书馆举办少儿绘本阅读分享会，邀请二十组家庭参与亲子共读，馆员还为孩子们推荐了"
    "适合不同年龄段的优秀读物。",
]


def pages(n: int = len(EVENTS)) -> list[Article]:
    """``n`` pages of one site, each a different event inside the site's chrome."""
    return [Article(id=f"page{i}", text=f"{NAV}\n{e}\n{NOTICE}", account=f"站点{i}") for i, e in enumerate(EVENTS[:n])]
