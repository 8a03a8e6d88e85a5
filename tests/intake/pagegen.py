"""Article pages, list pages and feeds for intake's tests, built like the sites editors read:
a masthead and navigation, the article, a share bar, 相关阅读, a footer."""

import random
from xml.sax.saxutils import escape

SENTENCES = [
    "许昌市科技局近日召开全市科技创新工作推进会，部署下一阶段重点任务",
    "会议指出，要坚持以企业为主体，推动创新链产业链资金链人才链深度融合",
    "据介绍，该项目总投资12亿元，建成后可年产超硬材料制品300万件",
    "长葛市依托再生金属产业基础，加快建设循环经济产业园",
    "禹州市钧瓷文化产业园今年新引进文化创意企业18家",
    "襄城县硅碳新材料产业链不断延伸，已形成从原料到终端产品的完整链条",
    "鄢陵县花木产业积极对接电商平台，线上销售额同比增长三成",
    "许继集团自主研发的柔性直流输电换流阀成功通过型式试验",
    "瑞贝卡发制品公司持续加大研发投入，新品上市周期缩短至两个月",
    "黄河旋风公司的培育钻石产能位居全国前列，产品远销海外市场",
    "河南省科技厅发布关于组织申报2024年度重大科技专项的通知",
    "通知明确，申报单位应具有独立法人资格，且近三年无不良信用记录",
    "专家认为，人工智能大模型将深刻改变制造业的研发和生产方式",
    "该企业建成省级工程技术研究中心，拥有发明专利46项",
    "今年以来，全市高新技术企业数量达到523家，创历史新高",
    "新能源汽车零部件产业集群加速成长，带动上下游企业协同发展",
    "生物医药企业加快布局创新药研发，多个品种进入临床试验阶段",
    "节能环保产业园区推行合同能源管理，园区能耗下降百分之十二",
    "智能装备企业推出新一代工业机器人，重复定位精度达到0.02毫米",
    "电力装备企业中标特高压工程项目，合同金额超过5亿元",
    "食品加工企业引进全自动生产线，日处理原料能力提升一倍",
    "化工企业实施清洁生产改造，主要污染物排放量大幅下降",
    "轻纺产业加快数字化转型，智能车间覆盖率提高到百分之四十",
    "建材企业研发的新型装配式墙板通过国家级检测认证",
    "科技日报记者从中国科学院获悉，我国在钙钛矿电池领域取得重要进展",
    "研究团队历时五年攻关，突破了关键材料制备的技术瓶颈",
    "业内人士表示，这一成果有望在三年内实现产业化应用",
    "国家统计局数据显示，全国规模以上高技术制造业增加值同比增长8.5%",
    "工业和信息化部将加快推动制造业高端化、智能化、绿色化发展",
    "科技部强调，要强化企业科技创新主体地位，完善科技成果转化机制",
    "省政府出台支持中试基地建设的若干措施，最高给予一千万元补助",
    "郑州大学与许昌企业共建联合实验室，聚焦超硬材料精密加工",
    "当地政府设立产业引导基金，重点支持战略性新兴产业项目",
    "数据显示，今年前三季度全市技术合同成交额同比增长四成",
    "企业负责人介绍，新产线投产后预计年新增产值八亿元",
    "园区管委会表示，将为入驻企业提供全生命周期服务",
    "氢能产业链加快布局，首座加氢站预计年底建成投用",
    "储能电池项目签约落地，计划分两期建设，总规模达到10吉瓦时",
    "专精特新企业培育工作成效明显，新增国家级小巨人企业7家",
    "知识产权质押融资规模持续扩大，有效缓解中小企业融资难题",
]


def article_text(seed: int, sentences: int = 8) -> list[str]:
    """Paragraphs of a distinct article: sentences drawn by `seed`, numbered so that two
    seeds never read alike."""
    rng = random.Random(seed)  # noqa: S311 - test data, not a secret
    picked = rng.sample(SENTENCES, sentences)
    return [f"{s}，第{seed}号报道所述情况于{seed % 28 + 1}日得到确认。" for s in picked]


def article_page(
    title: str,
    paragraphs: list[str],
    *,
    date="2024-03-05 10:20",
    source="科技日报",
    charset="utf-8",
) -> str:
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="{charset}"><title>{escape(title)}_{source}</title>
<meta name="PubDate" content="{date}"></head>
<body>
<div class="nav"><a href="/">首页</a> <a href="/news/">要闻</a> <a href="/local/">地方</a>
<a href="/tech/">科技</a> <a href="/industry/">产业</a></div>
<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; <a href="/news/">要闻</a></div>
<div class="article">
<h1>{escape(title)}</h1>
<div class="info">发布时间：{date}　来源：{source}</div>
<div class="content">
{body}
</div>
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a></div>
<div class="editor">责任编辑：王小明</div>
</div>
<div class="related"><h3>相关阅读</h3><ul>
<li><a href="/news/2024/03/01/other1.html">省内多地推进科技成果转化工作取得新进展</a></li>
<li><a href="/news/2024/03/02/other2.html">全国科技工作会议在京召开部署年度重点任务</a></li>
</ul></div>
<div class="footer">版权所有：科技信息网 豫ICP备12345678号 联系我们 网站地图</div>
</body></html>"""


def rss(items: list[tuple[str, str]], *, title="科技信息网") -> bytes:
    """An RSS 2.0 feed of (title, link) items."""
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link>"
        f"<pubDate>Tue, 05 Mar 2024 02:20:00 GMT</pubDate></item>"
        for t, link in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://example.cn/</link>{entries}</channel></rss>"
    ).encode()


def list_page(links: list[tuple[str, str]]) -> str:
    """A column's list page: navigation, the article links, paging and a footer."""
    items = "".join(
        f'<li><a href="{escape(href)}">{escape(text)}</a><span>2024-03-05</span></li>'
        for text, href in links
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>工作动态</title></head>
<body><div class="nav"><a href="/">首页</a> <a href="/zwgk/">政务公开</a>
<a href="/gzdt/">工作动态</a></div>
<ul class="list">{items}</ul>
<div class="page"><a href="/gzdt/index_1.html">下一页</a></div>
<div class="footer">主办单位：许昌市科学技术局 <a href="/sitemap.html">网站地图</a></div>
</body></html>"""
