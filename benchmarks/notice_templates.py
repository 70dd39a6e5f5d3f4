"""The notice templates of :mod:`benchmarks.notices`: how local staff write up one kind of activity.

This module holds the template type, its builder and the safety / order templates;
:mod:`benchmarks.notice_services` holds the service and community-life ones.

Each template is the fixed wording of one kind of community, village or street activity
(垃圾分类宣传, 消防演练, 义诊, ...) with slots for what changes from one event to the next.
Its body is a tuple of paragraphs written in a small pattern language:

* ``{slot}``: a value of the event (see below);
* ``[a|b|c]``: phrase alternatives, one chosen per event;
* ``<...>``: an optional segment (a clause or a whole sentence), kept or left out per event.

Slots every template may use: ``date``, ``unit`` (the organising 社区 / 村 / 街道), ``org``
(its generic noun in compounds: 社区党委, 村党委, 镇党委), ``self`` (the unit as a subject:
社区将, 该村将, 街道将, 该镇将), ``street``, ``district``, ``co`` (a co-organising unit),
``place``, ``lead`` / ``lead_role`` (the unit's secretary or director, who is quoted),
``staff`` / ``staff_role`` (a police officer, doctor, lawyer... of the event), ``resident``,
``age``, ``estate``. A template adds its own counts (``counts``: slot -> range) and
choices (``choices``: slot -> values; ``"a|b"`` slots take ``"x|y"`` values together).
Counts whose range starts at 20 or more and reaches 100 are sometimes written as
``200余`` (the template then writes ``{people}名``, ``{flyers}份``).

The wording is made up for this benchmark; it imitates the style of real notices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SAFETY", "NoticeTemplate", "template"]

_CO = ("区城管局", "辖区派出所", "社区卫生服务中心", "区民政局", "街道综合执法队", "物业服务中心", "区志愿者协会")
_DEPTS = ("{district}融媒体中心", "文明{short}", "{short}发布", "{district}民政局", "{district}文明办")


@dataclass(frozen=True, slots=True)
class NoticeTemplate:
    """One kind of activity notice.

    Attributes
    ----------
    key : str
        Short ASCII id, written to the ``template`` field.
    titles : tuple of str
        Title patterns (slots only, no alternatives).
    body : tuple of str
        Paragraph patterns (see the module docstring).
    counts : tuple of (str, int, int)
        Count slots with their inclusive range.
    co : tuple of str
        Co-organising units (may use ``{district}`` / ``{street}``).
    staff_roles : tuple of str
        Roles of the event's second person (``{staff_role}``).
    choices : tuple of (str, tuple of str)
        Other slots and their values.
    depts : tuple of str
        Department accounts that repost this kind of notice (besides the generic ones).
    months : tuple of (int, int)
        First and last month in which such events take place.
    """

    key: str
    titles: tuple[str, ...]
    body: tuple[str, ...]
    counts: tuple[tuple[str, int, int], ...]
    co: tuple[str, ...] = _CO
    staff_roles: tuple[str, ...] = ("社区工作人员", "志愿者")
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()
    depts: tuple[str, ...] = _DEPTS
    months: tuple[int, int] = (3, 11)


def template(
    key: str,
    titles: tuple[str, ...],
    body: tuple[str, ...],
    counts: str,
    *,
    co: tuple[str, ...] = _CO,
    staff: tuple[str, ...] = ("社区工作人员", "志愿者"),
    choices: dict[str, tuple[str, ...]] | None = None,
    depts: tuple[str, ...] = (),
    months: tuple[int, int] = (3, 11),
) -> NoticeTemplate:
    """Build a :class:`NoticeTemplate`.

    Parameters
    ----------
    key, titles, body
        As the attributes of the same names.
    counts : str
        Count slots as ``"name=lo-hi name=lo-hi ..."`` (inclusive ranges).
    co, staff, choices, depts, months
        Co-organisers, ``staff_roles``, choice slots (a dict), extra repost accounts
        (added to the generic ones), active months.

    Returns
    -------
    NoticeTemplate
        The template.
    """
    return NoticeTemplate(
        key=key,
        titles=titles,
        body=body,
        counts=tuple((name, int(lo), int(hi)) for name, lo, hi in re.findall(r"(\w+)=(\d+)-(\d+)", counts)),
        co=co,
        staff_roles=staff,
        choices=tuple((choices or {}).items()),
        depts=_DEPTS + depts,
        months=months,
    )


#: Safety, security and order: drills, fraud, drugs, inspections, disputes, clean-ups.
SAFETY: tuple[NoticeTemplate, ...] = (
    template(
        "fire",
        ("{unit}开展消防安全应急演练", "{unit}：消防演练进社区 筑牢安全“防火墙”", "以练为战 {unit}举行消防安全演练"),
        (
            "<为[进一步|切实]提高辖区居民的消防安全意识和火场逃生自救能力，>{date}，{unit}联合{co}在{place}开展消防安"
            "全应急疏散演练，{people}名居民参加。",
            "演练开始前，{staff_role}{staff}为居民讲解了家庭火灾的[常见|主要]成因、初起火灾的扑救方法以及火场逃生自救"
            "的基本常识。随着警报声响起，居民们在工作人员的引导下，用湿毛巾捂住口鼻、弯腰低姿，沿疏散通道有序撤离到安"
            "全区域，整个疏散过程[仅用时|用时]{minutes}分钟。",
            "<演练中，工作人员还特别提醒居民，电动自行车严禁在楼道、安全出口停放和充电，家中要定期检查电线线路和燃气管"
            "道，离家时要关闭电源和燃气阀门；一旦发生火灾，要第一时间拨打119报警，切勿乘坐电梯逃生，更不要贪恋财物、"
            "盲目返回火场。大家纷纷表示，这样的演练实用性强，既学到了知识，又掌握了技能。>",
            "随后，消防员现场演示了灭火器和消防水带的使用方法，并邀请居民上前进行灭火实操体验。<不少居民表示，"
            "通过亲手操作，心里更有底了。>",
            "活动共发放消防安全宣传资料{flyers}份，为辖区{homes}户家庭[赠送|发放]家用灭火器{items}具。",
            "据了解，今年以来，{self}已累计开展消防安全宣传{runs}场次，<排查整改各类火灾隐患{risks}处，>辖区未发生一起"
            "较大火灾事故。",
            "{lead_role}{lead}表示：“消防安全无小事，[我们|{self}]将定期组织消防演练，不断提升居民的防火意识和自防自救"
            "能力，[全力|切实]守护群众生命财产安全。”",
        ),
        "runs=3-20 risks=5-90 people=30-250 minutes=2-9 flyers=100-1200 homes=20-300 items=10-200",
        co=("区消防救援大队", "辖区消防救援站", "区应急管理局", "区城管局", "物业服务中心"),
        staff=("消防救援站指导员", "消防员", "消防宣传员"),
        depts=("{district}消防救援大队", "{district}应急管理局"),
    ),
    template(
        "antifraud",
        ("{unit}开展反诈骗宣传活动", "守好“钱袋子” {unit}反诈宣传进行时", "{unit}：全民反诈 你我同行"),
        (
            "为进一步提高辖区居民的防骗意识和识骗能力，{date}，{unit}联合{co}在{place}开展“全民反诈 你我同行”"
            "宣传活动。",
            "活动中，{staff_role}{staff}结合近期辖区发生的真实案例，向居民详细讲解了刷单返利、虚假投资理财、"
            "冒充客服退款、冒充公检法等常见诈骗手段的特点和防范方法，提醒大家做到“不轻信、不透露、不转账”"
            "。<讲解通俗易懂，居民们听得十分认真。>",
            "<活动中，民警还现场揭秘了“杀猪盘”诈骗的全过程：骗子先通过交友软件与受害人建立感情，再以带领投资、"
            "内部消息等名义，诱导受害人在虚假平台投入资金，前期给予小额返利，待受害人加大投入后便无法提现。"
            "民警提醒，凡是网上交友谈投资、要求下载陌生APP转账的，都是诈骗；凡是自称“客服”主动联系要求退款理赔的，"
            "都是诈骗。>",
            "工作人员还现场指导居民下载安装“国家反诈中心”APP，共帮助{apps}名居民完成下载注册。",
            "本次活动共发放反诈宣传资料{flyers}份，接受群众咨询{q}人次，<覆盖居民{homes}户，>参与居民达{people}人。",
            "据了解，今年以来，{self}共开展反诈宣传活动{runs}场次，<成功劝阻潜在受害群众{stopped}人，>辖区电信网络诈骗"
            "发案率同比下降{drop}%。",
            "{lead_role}{lead}表示，{self}将持续把反诈宣传作为[一项|一项长期]重点工作，<通过微信群、入户走访等形式，"
            ">让反诈知识深入人心，切实守护好群众的“钱袋子”。",
        ),
        "runs=3-24 stopped=2-30 drop=10-45 apps=20-300 flyers=100-2000 q=10-120 homes=50-800 people=40-400",
        co=("辖区派出所", "区公安分局反诈中心", "区检察院", "辖区银行网点", "区司法局"),
        staff=("社区民警", "派出所民警", "反诈中心民警"),
        depts=("{district}公安分局", "平安{short}"),
    ),
    template(
        "flood",
        ("{unit}开展防汛应急演练", "以演促练 {unit}筑牢防汛安全堤坝", "{unit}举行防汛应急演练"),
        (
            "为进一步提高应对突发汛情的处置能力，{date}，{unit}联合{co}在{place}开展防汛应急演练，{people}名[党员干部"
            "、网格员和志愿者|防汛队员]参加演练。",
            "演练模拟辖区遭遇强降雨、低洼地段出现积水险情的场景。接到预警后，{self}迅速启动防汛应急预案，"
            "[成立|组建]巡查排险、人员转移、后勤保障等{groups}个工作小组，各小组按照职责分工迅速到位。",
            "<演练过程中，指挥组根据险情变化，先后下达了启动应急响应、组织人员转移、封堵险段、抢排积水等指令，"
            "各小组接到指令后迅速行动，配合默契，充分检验了{self}防汛应急预案的可操作性和队伍的快速反应能力。"
            "演练还模拟了夜间停电、通信中断等突发情况，队员们使用应急照明设备和对讲机保持联络，确保指令传达畅通。"
            ">",
            "演练中，队员们分工协作，[装填沙袋|搬运沙袋]、封堵缺口、疏通排水管道，并将{evac}名“被困群众”"
            "安全转移至临时安置点，整个演练过程紧张有序。",
            "<演练结束后，{staff_role}{staff}对此次演练进行了点评，并对防汛物资的使用进行了现场讲解。>{self}还对储备的"
            "{bags}个沙袋、{pumps}台抽水泵等防汛物资进行了全面清点。",
            "据了解，{self}共有防汛重点部位{sites}处，已全部落实“一点一策”和责任人，<并组建了{men}人的防汛应急分队，"
            ">做到险情早发现、早处置。",
            "{lead_role}{lead}表示，汛期已至，{self}将[严格落实|认真落实]24小时值班值守制度，加强重点区域巡查，"
            "确保辖区安全度汛。",
        ),
        "sites=3-20 men=15-60 people=20-150 groups=3-6 evac=5-60 bags=100-3000 pumps=2-20",
        co=("区应急管理局", "区水利局", "区消防救援大队", "{street}武装部", "区城管局"),
        staff=("应急管理局工作人员", "水利站站长", "民兵连长"),
        depts=("{district}应急管理局", "{district}水利局"),
        months=(4, 8),
    ),
    template(
        "drugs",
        ("{unit}开展禁毒宣传活动", "珍爱生命 远离毒品——{unit}开展禁毒宣传", "{unit}：禁毒宣传进社区 筑牢识毒防毒防线"),
        (
            "<为深入开展全民禁毒宣传教育，[进一步|切实]提高辖区居民识毒、防毒、拒毒意识，>{date}，{unit}联合{co}在{pl"
            "ace}开展“珍爱生命 远离毒品”禁毒宣传活动，{people}名居民参加。",
            "活动中，{staff_role}{staff}通过展板、实物模型和真实案例，向居民讲解了毒品的种类、危害以及新型毒品的伪装形"
            "式，特别提醒青少年警惕“奶茶”“邮票”“跳跳糖”等伪装成食品的新型毒品。",
            "现场还设置了禁毒知识有奖问答环节，居民们积极参与，<气氛十分活跃，>共有{winners}名居民获得了[禁毒宣传小礼"
            "品|纪念品]。",
            "本次活动共展出禁毒展板{boards}块，发放禁毒宣传资料{flyers}份，<悬挂宣传横幅{banners}条，>接受居民咨询{q}"
            "人次。",
            "据悉，今年以来，{self}已开展禁毒宣传进校园、进家庭、进企业等活动{runs}场次，<覆盖群众{served}人次，"
            ">形成了全民参与禁毒的良好局面。",
            "{lead_role}{lead}表示，禁毒工作关系到千家万户，{self}将[持续|进一步]加大禁毒宣传力度，努力营造全民禁毒的"
            "良好氛围。",
        ),
        "runs=3-20 served=500-8000 people=30-300 winners=10-80 boards=4-20 flyers=100-1500 banners=2-10 q=10-100",
        co=("区禁毒办", "辖区派出所", "区禁毒协会", "区司法局", "区团委"),
        staff=("禁毒社工", "社区民警", "禁毒志愿者"),
        depts=("{district}禁毒办", "{district}公安分局"),
    ),
    template(
        "security",
        ("{unit}开展全民国家安全教育日宣传活动", "{unit}：国家安全 人人有责", "国家安全教育日 {unit}在行动"),
        (
            "<为[深入|进一步]学习宣传贯彻总体国家安全观，增强居民的国家安全意识，>{date}，{unit}联合{co}在{place}开展"
            "全民国家安全教育日主题宣传活动，{people}名居民参加。",
            "活动现场，工作人员通过悬挂横幅、摆放展板、发放宣传资料等形式，向居民宣传总体国家安全观，普及《中华人民共"
            "和国国家安全法》《中华人民共和国反间谍法》等法律法规知识。",
            "{staff_role}{staff}结合身边的典型案例，提醒居民在日常生活中注意保护个人信息，不随意拍摄、传播涉密场所图片"
            "，发现危害国家安全的行为要及时拨打12339举报电话。",
            "本次活动共发放宣传资料{flyers}份、宣传品{items}份，<解答居民咨询{q}人次，>进一步增强了居民的国家安全意识"
            "。",
            "<活动现场，居民们还积极参与国家安全知识有奖问答，{winners}名居民获得了纪念品。>大家纷纷表示，"
            "维护国家安全与每个人息息相关，今后将自觉做国家安全的守护者。",
            "{lead_role}{lead}表示，维护国家安全是每个公民的责任和义务，{self}将[常态化|持续]开展国家安全宣传教育，"
            "筑牢国家安全的人民防线。",
        ),
        "winners=10-80 people=30-300 flyers=100-1500 items=50-500 q=10-100",
        co=("辖区派出所", "区司法局", "区委政法委", "区国家安全教育基地"),
        staff=("社区民警", "法律顾问", "宣讲员"),
        depts=("{district}委政法委",),
        months=(4, 4),
    ),
    template(
        "civilized",
        ("{unit}全力推进文明城市创建工作", "创文明城市 {unit}在行动", "{unit}开展文明城市创建志愿服务活动"),
        (
            "<为全力推进全国文明城市创建工作，[持续|进一步]改善辖区环境面貌，>{date}，{unit}组织{co}及志愿者共{people"
            "}人，在辖区开展文明城市创建集中行动。",
            "行动中，志愿者们分成{groups}个小组，对辖区主次干道、背街小巷、楼道等区域进行地毯式清理，清除卫生死角{spo"
            "ts}处，清理小广告{ads}处，规范停放非机动车{bikes}辆。",
            "<行动中，志愿者们还对沿街商户进行了“门前三包”责任制宣传，劝导商户不占道经营、不乱堆乱放，并对辖区公共设施"
            "进行了检查，对破损的宣传栏、指示牌等进行了登记，督促相关单位限期修复。在小区内，志愿者们还清理了楼道内堆"
            "放多年的杂物，拆除了私拉乱接的电线，消除了消防安全隐患。>",
            "与此同时，工作人员走进商铺和居民家中，宣传文明城市创建的目的和意义，<发放《市民文明公约》{flyers}份，"
            ">倡导居民文明出行、文明用餐、文明养犬。",
            "<“看到小区环境越来越好，我们住着也舒心。”居民{resident}说。>",
            "据了解，创建工作开展以来，{self}已累计组织集中行动{runs}次，<整改问题{issues}个，>辖区环境面貌明显改善，"
            "居民满意度不断提升。",
            "{lead_role}{lead}表示，文明城市创建离不开每一位居民的参与，{self}将[以此次活动为契机|持续发力]，"
            "建立常态化管理机制，不断巩固创建成果。",
        ),
        "runs=5-40 issues=20-300 people=20-200 groups=3-8 spots=10-120 ads=20-400 bikes=30-500 flyers=100-1000",
        co=("辖区共建单位", "区城管局", "物业服务中心", "辖区学校", "区文明办"),
        depts=("{district}城管局",),
    ),
    template(
        "law",
        ("{unit}开展“法律进社区”讲座", "普法讲座进社区 法律知识送上门", "{unit}联合{co}举办法律知识讲座"),
        (
            "<为[进一步|深入]推进法治社区建设，提高居民的法律意识和依法维权能力，>{date}，{unit}联合{co}在{place}举办"
            "“法律进社区”专题讲座，邀请{firm}律师事务所{staff_role}{staff}为{people}名居民讲解与日常生活密切相关的法律"
            "知识。",
            "讲座围绕《中华人民共和国民法典》，结合婚姻家庭、继承、邻里纠纷、物业服务等方面的典型案例，以案释法，"
            "深入浅出地解读了居民关心的法律问题。",
            "<讲座中，律师还重点讲解了居民普遍关心的遗嘱订立、赡养老人、房屋买卖等问题，提醒大家在签订合同时要仔细阅读"
            "条款、保留好相关凭证，遇到纠纷时要通过合法途径解决，切勿采取过激行为。针对老年人关心的“以房养老”"
            "骗局，律师也提醒大家提高警惕，涉及房产抵押、公证等事项时一定要与子女商量。>",
            "在互动交流环节，居民们踊跃提问，{staff}律师一一耐心解答，<并为居民提供了维权途径的建议，>现场共解答法律咨"
            "询{q}个。",
            "<活动还发放了《民法典》普法手册{flyers}本。>居民们纷纷表示，讲座内容贴近生活，实用性强，受益匪浅。",
            "据了解，{self}每月安排法律顾问[定期|固定]坐班，今年以来已为居民提供法律咨询{q2}人次，<协助调解各类纠纷{c"
            "ases}起。>",
            "{lead_role}{lead}表示，{self}将[持续|常态化]开展普法宣传活动，依托社区法律顾问制度，为居民提供更加便捷的"
            "法律服务，推动形成办事依法、遇事找法的良好氛围。",
        ),
        "q2=30-400 cases=3-40 people=30-200 q=5-60 flyers=50-600",
        co=("区司法局", "{street}司法所", "区法律援助中心", "区律师协会"),
        staff=("律师", "执业律师", "合伙人律师"),
        choices={"firm": ("湘正", "明德", "华信", "中和", "弘法", "诚品", "金州", "天衡", "正源", "博韬")},
        depts=("{district}司法局",),
    ),
    template(
        "cleanup",
        ("{unit}开展人居环境整治行动", "{unit}：环境整治“焕新颜” 居民生活更舒心", "{unit}开展环境卫生大扫除"),
        (
            "<为持续改善辖区人居环境，[营造|打造]干净整洁的生活环境，>{date}，{unit}组织{co}、党员志愿者及居民群众{pe"
            "ople}人，开展人居环境整治集中行动。",
            "行动中，大家分工明确、干劲十足，有的清扫路面垃圾，有的清除杂草，有的清理楼道堆放的杂物，对辖区的卫生死角"
            "、背街小巷进行了全面清理。",
            "此次行动共清理垃圾{tons}吨，清除杂草{area}平方米，清理楼道杂物{spots}处，拆除违规搭建{sheds}处<，"
            "出动清运车辆{trucks}台次>。",
            "<经过一上午的努力，辖区环境焕然一新，居民们纷纷点赞。>",
            "<据了解，{self}将每月最后一个星期五定为“环境卫生日”，>今年以来已累计开展环境整治行动{runs}次，"
            "清理垃圾{total}吨。",
            "{lead_role}{lead}表示，{self}将[建立|完善]环境卫生长效管理机制，[定期|常态化]开展环境整治，"
            "[引导|动员]居民自觉爱护环境，共建美丽家园。",
        ),
        "runs=5-30 total=20-400 people=20-200 tons=2-40 area=200-5000 spots=10-150 sheds=1-15 trucks=2-20",
        co=("物业服务中心", "区城管局", "辖区共建单位", "区环卫所"),
        depts=("{district}城管局", "{district}农业农村局"),
    ),
    template(
        "seniorfraud",
        ("{unit}开展老年人防诈骗讲座", "守护“银发族”钱袋子 {unit}开展防诈宣传", "{unit}：防范养老诈骗 守护幸福晚年"),
        (
            "<为[进一步|切实]提高辖区老年人识骗防骗能力，>{date}，{unit}联合{co}在{place}开展“守护银发族 防范养老诈骗"
            "”专题讲座，辖区{people}名老年人参加。",
            "讲座中，{staff_role}{staff}结合真实案例，为老人们揭露了以“保健品”“投资养老项目”“以房养老”“免费旅游”"
            "等为幌子的常见诈骗套路，<用通俗易懂的语言>提醒老人们不要贪图小便宜，遇到可疑情况及时与子女商量或拨打110报"
            "警。",
            "讲座结束后，工作人员还为老人们发放了防诈骗宣传手册{flyers}份<和{items}个印有反诈标语的环保袋><，"
            "并现场帮助{apps}位老人安装了“国家反诈中心”APP>。",
            "“今天学到了不少，以后接到陌生电话[可得多留个心眼|一定要多留个心眼]。”{age}岁的{resident}老人说。",
            "据了解，{self}60岁以上老年人达{old}人，<其中独居老人{alone}人。>为此，{self}[组建了|成立了]由网格员、"
            "民警和志愿者组成的防诈宣传队，定期上门提醒。",
            "{lead_role}{lead}表示，老年人是诈骗分子的重点目标，{self}将[持续|常态化]开展防诈宣传，筑牢老年人的“防骗墙"
            "”。",
        ),
        "old=300-3000 alone=20-300 people=20-200 flyers=50-800 items=20-300 apps=5-80",
        co=("辖区派出所", "区公安分局反诈中心", "区市场监管局", "区老年协会"),
        staff=("社区民警", "反诈民警", "市场监管所所长"),
        depts=("{district}公安分局", "{district}老龄办"),
    ),
    template(
        "traffic",
        ("{unit}开展交通安全宣传活动", "{unit}：文明出行 安全相伴", "交通安全宣传进社区"),
        (
            "<为[进一步|切实]提高辖区居民的交通安全意识和文明出行意识，>{date}，{unit}联合{co}在{place}开展“文明交通 "
            "安全出行”宣传活动，{people}名居民参加。",
            "活动中，{staff_role}{staff}结合辖区交通事故案例，向居民讲解了电动自行车佩戴头盔、不闯红灯、"
            "不逆行、不酒驾等交通安全知识，提醒大家“一盔一带”安全守护。",
            "<现场还设置了交通安全知识问答，答对的居民可获得小礼品。>工作人员还为{bikes}辆电动自行车免费张贴了反光贴。",
            "本次活动共发放交通安全宣传资料{flyers}份，发放安全头盔{items}个。",
            "据了解，辖区[共有|现有]电动自行车{ebikes}辆，<今年以来，{self}已联合交警部门开展交通安全劝导{runs}次，"
            ">劝导不戴头盔等交通违法行为{stops}起。",
            "{lead_role}{lead}表示，{self}将[联合交警部门|与{co}]常态化开展交通安全宣传，引导居民自觉遵守交通法规，"
            "共同营造安全有序的出行环境。",
        ),
        "ebikes=500-6000 runs=3-30 stops=20-400 people=30-300 bikes=20-300 flyers=100-1500 items=20-300",
        co=("区交警大队", "辖区交警中队", "辖区派出所"),
        staff=("交警", "交警中队民警", "交通安全宣传员"),
        depts=("{district}交警大队", "{district}公安分局"),
    ),
    template(
        "gas",
        ("{unit}开展燃气安全入户检查", "{unit}：燃气安全入户查 守护居民平安", "{unit}扎实开展燃气安全隐患排查"),
        (
            "<为切实消除燃气安全隐患，[保障|守护]居民生命财产安全，>{date}，{unit}联合{co}对辖区居民用户开展燃气安全入"
            "户检查，<重点检查老旧小区和独居老人家庭，>共检查居民用户{homes}户。",
            "检查中，工作人员逐户查看燃气管道、阀门、软管、灶具等设施的使用情况，对软管老化、私自改装管道等问题进行登"
            "记，并现场指导居民整改。",
            "此次检查共发现安全隐患{risks}处，现场整改{fixed}处，为居民免费更换燃气软管{items}根，<对暂时无法整改的隐"
            "患已下发整改通知书，>并将跟踪督促落实。",
            "<{staff_role}{staff}还向居民讲解了燃气泄漏的应急处置方法，提醒大家用气时“人走火灭”、定期检查燃气软管。>",
            "据了解，{self}辖区共有燃气用户{users}户，<其中老旧小区用户{old}户，>此次检查是今年第{nth}轮燃气安全排查。",
            "{lead_role}{lead}表示，燃气安全关系到千家万户，{self}将[持续|定期]开展燃气安全排查，[坚决|切实]守住安全底"
            "线。",
        ),
        "users=500-8000 old=100-3000 nth=2-5 homes=50-1200 risks=5-80 fixed=3-60 items=10-200",
        co=("燃气公司", "区住建局", "区消防救援大队", "物业服务中心"),
        staff=("燃气公司安检员", "燃气公司技术员"),
        depts=("{district}住建局", "{district}应急管理局"),
    ),
    template(
        "ebike",
        ("{unit}开展电动自行车安全隐患排查整治", "{unit}：整治“飞线充电” 守护平安家园", "电动自行车安全隐患整治在行动"),
        (
            "<为[有效|切实]防范电动自行车火灾事故发生，>{date}，{unit}联合{co}对辖区小区开展电动自行车安全隐患排查整治"
            "行动<，重点整治楼道停放、入户充电、“飞线充电”等问题>。",
            "行动中，工作人员逐楼逐栋进行排查，共排查楼栋{blocks}栋，清理楼道违规停放电动自行车{bikes}辆，"
            "拆除“飞线”{wires}处。",
            "同时，工作人员向居民发放《电动自行车安全使用告知书》{flyers}份，<提醒居民到集中充电桩充电，"
            ">[劝导|引导]居民不在楼道、安全出口停放电动自行车。",
            "目前，{self}已在辖区新建集中充电桩{chargers}个，可同时满足{ports}辆电动自行车充电需求。",
            "据了解，辖区[共有|现有]电动自行车约{ebikes}辆，<今年以来，{self}共开展专项整治行动{runs}次，"
            ">累计清理楼道堆放杂物{junk}处。",
            "{lead_role}{lead}表示，{self}将[常态化|持续]开展巡查，对发现的问题[及时|立即]督促整改，坚决遏制电动自行车"
            "火灾事故发生。",
        ),
        "ebikes=500-8000 runs=3-20 junk=20-400 blocks=10-120 "
        "bikes=10-200 wires=3-60 flyers=100-1500 chargers=2-30 ports=20-400",
        co=("辖区消防救援站", "区消防救援大队", "物业服务中心", "区应急管理局"),
        staff=("消防员", "物业经理"),
        depts=("{district}消防救援大队",),
    ),
    template(
        "safety",
        ("{unit}开展安全生产大检查", "{unit}：安全生产检查 筑牢安全防线", "{unit}扎实开展安全隐患排查整治"),
        (
            "<为[扎实|切实]做好安全生产工作，[全面|深入]排查整治各类安全隐患，>{date}，{unit}联合{co}对辖区沿街商铺、"
            "小餐饮店、出租屋等场所开展安全生产大检查。",
            "检查组重点查看了消防器材配备、安全通道是否畅通、燃气使用、电线私拉乱接等情况，对发现的问题当场指出，"
            "<并提出整改意见，>要求限期整改到位。",
            "此次检查共出动检查人员{staffn}人次，检查各类场所{sites}家，发现安全隐患{risks}处，已督促整改{fixed}处。",
            "<{staff_role}{staff}还向商户们讲解了灭火器的使用方法和火灾逃生知识，提醒大家时刻绷紧安全生产这根弦。>",
            "据了解，今年以来，{self}已开展安全生产检查{runs}次，<累计排查整改隐患{total}处，>辖区安全生产形势总体平稳"
            "。",
            "{lead_role}{lead}表示，{self}将[持续|进一步]加大安全生产检查力度，做到隐患排查不留死角，[坚决|全力]防范各"
            "类安全事故发生。",
        ),
        "runs=4-30 total=30-600 staffn=6-60 sites=20-300 risks=5-80 fixed=3-60",
        co=("区应急管理局", "区市场监管局", "辖区消防救援站", "{street}安监站"),
        staff=("安监站站长", "消防员", "应急管理局干部"),
        depts=("{district}应急管理局", "{district}市场监管局"),
    ),
    template(
        "drowning",
        ("{unit}开展防溺水安全教育活动", "{unit}：珍爱生命 预防溺水", "防溺水安全教育进社区"),
        (
            "为切实增强青少年的防溺水安全意识，{date}，{unit}联合{co}在{place}开展防溺水安全教育活动，辖区{kids}名青少"
            "年及家长参加。",
            "活动中，{staff_role}{staff}通过播放视频、讲解案例等方式，向孩子们讲解了溺水的危害和预防措施，"
            "反复强调“六不”要求：不私自下水游泳，不擅自与他人结伴游泳，不在无家长或教师带领的情况下游泳，"
            "不到无安全设施、无救援人员的水域游泳，不到不熟悉的水域游泳，不熟悉水性的学生不擅自下水施救。",
            "<随后，工作人员还现场演示了心肺复苏和溺水急救方法，并邀请孩子们上台体验。>",
            "活动结束后，{self}还组织网格员对辖区{ponds}处山塘、水库等危险水域进行了巡查，新设警示牌{signs}块，"
            "发放致家长的一封信{flyers}份。",
            "据了解，{self}辖区内有河流、山塘、水库等水域{waters}处，<已全部落实“一水一责任人”，>并在重点水域配备了救"
            "生圈、救生绳等救生器材{kits}套。",
            "{lead_role}{lead}表示，{self}将[加强|强化]暑期重点水域巡查，[联合学校和家长|与学校、家长一道]筑牢防溺水安"
            "全防线。",
        ),
        "waters=3-40 kits=5-80 kids=20-200 ponds=3-40 signs=5-60 flyers=50-800",
        co=("区教育局", "辖区消防救援站", "区应急管理局", "辖区小学"),
        staff=("消防员", "蓝天救援队队员", "急救中心医生"),
        depts=("{district}教育局", "{district}应急管理局"),
        months=(5, 8),
    ),
    template(
        "dogs",
        ("{unit}开展文明养犬宣传活动", "{unit}：文明养犬 从我做起", "文明养犬宣传进小区"),
        (
            "<为[进一步|切实]规范辖区养犬行为，营造文明和谐的居住环境，>{date}，{unit}联合{co}在{place}开展“文明养犬 "
            "和谐共处”宣传活动，{people}名居民参加。",
            "活动中，工作人员向养犬居民宣传了《养犬管理条例》，<讲解了犬只登记、免疫和外出遛狗的有关规定，"
            ">倡导大家出门遛狗牵绳、及时清理犬只粪便、不在公共场所随意放犬。",
            "现场还为{dogs}只犬只免费接种了狂犬疫苗<，为养犬居民发放牵引绳{items}根、拾便袋{bags}个>。",
            "本次活动共发放宣传资料{flyers}份<，{homes}户养犬家庭签订了文明养犬承诺书>。",
            "据了解，{self}登记在册的犬只有{registered}只，<今年以来，{self}已开展文明养犬专项劝导{runs}次，"
            ">收到相关投诉同比下降{drop}%。",
            "{lead_role}{lead}表示，{self}将[常态化|定期]开展文明养犬宣传和巡查，对不文明养犬行为及时劝导，"
            "营造和谐文明的社区环境。",
        ),
        "registered=50-900 runs=3-20 drop=10-60 people=20-200 "
        "dogs=10-150 items=20-200 bags=100-1000 flyers=100-1000 homes=10-150",
        co=("辖区派出所", "区城管局", "区畜牧兽医站", "物业服务中心"),
        staff=("社区民警", "兽医"),
        depts=("{district}城管局", "{district}公安分局"),
    ),
    template(
        "mediation",
        ("{unit}开展矛盾纠纷排查化解工作", "{unit}：化解邻里纠纷 共建和谐家园", "{unit}扎实开展矛盾纠纷集中排查"),
        (
            "<为[切实|进一步]维护辖区和谐稳定，[及时|有效]化解各类矛盾纠纷，>{date}，{unit}组织人民调解员、"
            "网格员和{co}工作人员，开展矛盾纠纷集中排查化解行动。",
            "工作人员深入辖区{blocks}个小区，通过入户走访、召开楼栋会议等方式，重点排查邻里纠纷、物业纠纷、"
            "婚姻家庭纠纷等矛盾隐患<，做到早发现、早报告、早化解>。",
            "此次共排查矛盾纠纷{cases}起，现场调解成功{solved}起，<对其余纠纷落实专人跟踪化解，>调解成功率达{rate}%。",
            "“多亏了调解员{staff}耐心劝说，我们两家又和好如初了。”居民{resident}说。",
            "据了解，{self}共有人民调解员{mediators}名，<今年以来共受理各类矛盾纠纷{total}起，>调解成功率保持在{rate2"
            "}%以上。",
            "{lead_role}{lead}表示，{self}将坚持和发展新时代“枫桥经验”，[健全|完善]矛盾纠纷多元化解机制，"
            "把矛盾纠纷化解在基层、化解在萌芽状态。",
        ),
        "mediators=3-20 total=10-200 rate2=85-98 blocks=2-15 cases=5-60 solved=3-50 rate=80-99",
        co=("{street}司法所", "辖区派出所", "区司法局"),
        staff=("人民调解员",),
        depts=("{district}司法局", "{district}委政法委"),
    ),
)
