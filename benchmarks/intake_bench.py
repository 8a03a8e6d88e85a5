"""`make bench`, part `intake`: the intake pool (素材库) under load, beside its targets.

Run by bench.py as a child process with BENCH_DATABASE_URL naming the intake's own database
(bulletin_bench_intake by default), so that bench.py's helpers (setup_django, start_server,
run_wrk, Browser) work on it unchanged.

- Ingest. A loopback site (a forked process serving pre-rendered responses from memory)
  serves 200 feeds of 30 items, each feed from its own loopback address (127.0.1.1 …
  127.0.1.200, so the per-host spacing applies as on the internet). The pages are Chinese
  article pages with a site's chrome (navigation, share bar, 相关阅读, footer), 5–15 KB, a
  quarter of them GBK (served with charset=GBK), and 30% of them reprints of another feed's
  story (another headline, the outlet's boilerplate, a line changed). One worker process runs
  one fetching round over the 200 sources (`apps.intake.ingest.run_round`) with
  INTAKE_HOST_INTERVAL=0.1 and prints its wall time and peak memory; the pool then tells how
  many clippings and stories it made, how many reprints joined their original's story and
  whether two different stories were merged. When the time is missed (or BENCH_INTAKE_PROFILE
  is set) a sample of pages is read and stored again in this process under cProfile, and the
  time is broken down by step.
- The desk. 100,000 clippings (made once, kept in the database, with stories, reprints,
  industries, watch words and the pool's search documents): the desk's list and a search in it
  under gunicorn with wrk at 2 connections as a signed-in editor (password and TOTP code), and
  the SQL queries per request at 10 and at 100 rows per page, which must be the same.
- Quality. benchmarks/intake_quality.py's figures when it exists (reprints grouped, distinct
  stories merged), and the learned tagger against the keyword suggester on the held-out split
  of bench.py's archive (trained in a child process on that database, and not kept).

Everything is loopback and bounded; the site, the worker and gunicorn are stopped at the end.
The exit status is 1 when a target is missed. For working on one step:
    BENCH_INTAKE_STEPS=ingest,desk,quality   the steps to run
    BENCH_INTAKE_PROFILE=1                   profile the ingest even when its time is met
    BENCH_INTAKE_FEEDS=20                    fewer feeds (the targets stay those of 200)
e.g. DJANGO_DEBUG=1 BENCH_PARTS=intake BENCH_INTAKE_STEPS=ingest .venv/bin/python
benchmarks/bench.py
"""

import asyncio
import cProfile
import json
import multiprocessing
import os
import pstats
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from pathlib import Path
from urllib.parse import quote

import bench

HERE = Path(__file__).resolve()
MAIN_DATABASE_URL = os.environ.get("BENCH_MAIN_DATABASE_URL", "")

# --- Targets ------------------------------------------------------------------------------------
FEEDS = int(os.environ.get("BENCH_INTAKE_FEEDS", "200"))
ITEMS = 30
GBK_SHARE = 4  # one host in four serves GBK
REPRINTS_PER_FEED = 9  # 30% of 30
HOST_INTERVAL = "0.1"
INGEST_SECONDS = 300.0
INGEST_RSS = 250  # MiB
GROUPED_TARGET = 0.95
DESK_CLIPPINGS = int(os.environ.get("BENCH_INTAKE_DESK_CLIPPINGS", "100000"))
DESK_P99 = 100.0  # ms, at 2 connections
DESK_CONNECTIONS = "2"
PROFILE_PAGES = 300
PROFILE = os.environ.get("BENCH_INTAKE_PROFILE", "") not in ("", "0")
# Which steps (comma-separated): ingest, desk, quality.
STEPS_RUN = os.environ.get("BENCH_INTAKE_STEPS", "ingest,desk,quality").split(",")
# The worker tags with a learned model, as in production once the archive is large enough: one
# is trained once on a topical archive of this many articles made in this database.
TAGGER_ARTICLES = 1200

INGEST_PREFIX = "［基准］订阅源"
DESK_PREFIX = "［存量］"
EDITOR = "bench-editor"
EDITOR_PASSWORD = "bench-only-" + "e" * 20
SEARCH = "超硬材料"

# --- Text: a sentence bank of a few hundred, filled with each article's place and company ------

PLACES = [
    "许昌", "长葛", "禹州", "鄢陵", "襄城", "魏都区", "建安区", "郑州", "洛阳", "新乡", "南阳",
    "开封", "平顶山", "漯河", "周口", "商丘", "焦作", "安阳", "深圳", "苏州", "合肥", "武汉",
    "成都", "西安", "宁波", "青岛", "无锡", "常州", "长沙", "杭州", "佛山", "东莞",
]  # fmt: skip
BRANDS = [
    "华晶", "中南", "豫星", "恒远", "金诚", "瑞丰", "天力", "宏达", "新航", "博源", "鼎盛",
    "汇通", "东方", "嘉禾", "力鼎", "安泰", "卓越", "新锐", "远大", "佳诚", "腾飞", "海川",
    "同力", "先锋", "恒信", "凯歌", "鑫源", "科瑞", "盛世", "明泰", "立信", "兴业", "润邦",
    "永昌", "德润", "华瑞", "龙腾", "泰和", "创维", "银河",
]  # fmt: skip
REPORTERS = [
    "王磊", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵敏", "黄涛", "周宇", "吴昊", "徐丽",
    "孙鹏", "马骏", "朱婷", "胡斌", "郭亮", "何欣", "高远", "林峰", "罗兰", "宋佳", "谢晨",
]  # fmt: skip
REGIONS = [
    "河南", "中原", "许昌", "郑州", "洛阳", "豫东", "豫南", "大河", "华中", "黄河",
    "中国", "全国", "东方", "南方", "北方", "长江", "珠江", "江淮", "齐鲁", "燕赵",
]  # fmt: skip
OUTLETS = ["日报", "晚报", "商报", "科技网", "经济网", "产业网", "新闻网", "财经", "工业报", "在线"]

# slug -> (name, products, specific sentences, headlines)
INDUSTRIES = {
    "next-generation-it": (
        "新一代信息技术",
        ["算力服务器", "工业软件", "智能芯片", "数据中心", "大模型平台"],
        [
            "{c}发布面向制造业的{prod}，已在{n}家企业落地应用",
            "{p}新建智算中心算力规模达到{m}PFlops，为人工智能企业提供普惠算力",
            "业内人士认为，大模型正在从通用走向行业，垂直领域应用将迎来爆发",
            "{p}数字经济核心产业增加值占地区生产总值比重提高到{n}.{k}%",
            "集成电路设计企业加快国产替代，{prod}出货量同比增长{r}%",
            "5G基站累计建成{m}个，实现城区和重点园区连续覆盖",
        ],
        ["{p}{cs}{prod}项目落地 数字经济再添新引擎", "{p}算力产业加速布局", "{cs}发布{prod}新品"],
    ),
    "new-materials": (
        "新材料",
        ["超硬材料", "人造金刚石", "碳纤维", "硅基负极材料", "特种合金"],
        [
            "{c}年产{n}万克拉人造金刚石项目点火投产",
            "{p}超硬材料产业集群营业收入突破{m}亿元，产品出口{n}个国家和地区",
            "企业研发的大尺寸单晶金刚石已用于半导体散热和光学窗口",
            "{prod}产业链条不断延伸，从原料到终端制品实现本地配套",
            "新材料中试基地为{n}家中小企业提供工艺验证和小批量试制服务",
            "石墨烯改性涂料通过检测，耐腐蚀性能提高{n}%",
        ],
        [
            "{p}{prod}产业集群加速壮大",
            "{cs}{prod}项目投产 年产值{m}亿元",
            "{p}新材料产业向高端迈进",
        ],
    ),
    "biomedicine": (
        "生物医药",
        ["创新药", "中药配方颗粒", "医疗器械", "疫苗", "生物制剂"],
        [
            "{c}自主研发的{prod}获批进入临床试验",
            "{p}生物医药产业园已入驻企业{n}家，形成研发、生产、流通完整链条",
            "中药材规范化种植基地面积达到{m}亩，道地药材品质稳步提升",
            "企业与高校共建创新药研发平台，累计获得药品注册批件{n}个",
            "医疗器械注册人制度试点持续推进，审评审批时间压缩{n}%",
            "生物医药企业研发投入强度达到{n}.{k}%，高于制造业平均水平",
        ],
        ["{p}生物医药产业跑出加速度", "{cs}{prod}研发取得新进展", "{p}打造中医药产业高地"],
    ),
    "intelligent-equipment": (
        "智能装备",
        ["工业机器人", "数控机床", "智能传感器", "无人机", "智能仓储系统"],
        [
            "{c}推出新一代{prod}，重复定位精度达到0.0{k}毫米",
            "{p}建成智能工厂和数字化车间{n}个，关键工序数控化率达到{n}%",
            "机器人企业加快核心零部件攻关，精密减速器实现批量供货",
            "智能制造示范项目投用后，生产效率提高{n}%，运营成本降低{k}%",
            "{prod}订单排到{mo}月份，企业正在扩建第二条生产线",
            "工业互联网平台连接设备{m}台套，服务企业{n}家",
        ],
        ["{p}智能装备产业提质增效", "{cs}{prod}走俏市场", "{p}智能制造示范项目投用"],
    ),
    "new-energy-vehicles": (
        "新能源汽车",
        ["动力电池", "电驱动系统", "充电桩", "氢燃料电池", "汽车线束"],
        [
            "{c}年产{n}万套{prod}项目开工建设",
            "{p}新能源汽车零部件企业达到{n}家，与多家整车企业建立配套关系",
            "动力电池回收利用项目建成后，每年可处理退役电池{n}万吨",
            "全市累计建成公共充电桩{m}个，实现乡镇全覆盖",
            "氢能产业链加快布局，首批氢燃料电池公交车投入运营",
            "新能源汽车销量同比增长{r}%，渗透率提高到{n}%",
        ],
        ["{p}新能源汽车产业链加速成形", "{cs}{prod}项目签约落地", "{p}动力电池产业跑出加速度"],
    ),
    "energy-saving": (
        "节能环保",
        ["光伏组件", "储能电站", "余热发电设备", "污水处理装备", "固废利用项目"],
        [
            "{c}{prod}项目并网运行，年发电量可达{m}万千瓦时",
            "{p}单位地区生产总值能耗同比下降{n}.{k}%",
            "循环经济产业园推行合同能源管理，园区综合能耗下降{n}%",
            "再生金属企业引进先进冶炼工艺，资源综合利用率达到{n}%",
            "工业固废综合利用率提高到{n}%，实现变废为宝",
            "储能项目采用磷酸铁锂电池，可满足{m}户居民一天用电",
        ],
        ["{p}绿色低碳转型取得新成效", "{cs}{prod}项目建成投用", "{p}循环经济产业园提质升级"],
    ),
    "equipment-manufacturing": (
        "装备制造",
        ["特高压换流阀", "智能电表", "输变电设备", "工程机械", "矿山装备"],
        [
            "{c}自主研发的{prod}通过型式试验，各项指标达到国际先进水平",
            "{p}电力装备产业规模突破{m}亿元，形成输变电设备产业集群",
            "企业中标特高压工程项目，合同金额超过{n}亿元",
            "柔性直流输电技术为大型风电光伏基地电力外送提供支撑",
            "{prod}出口{n}个国家和地区，海外订单同比增长{r}%",
            "装备制造企业加快服务化转型，售后服务收入占比提高到{n}%",
        ],
        ["{p}电力装备产业集群再上新台阶", "{cs}{prod}再获突破", "{p}装备制造业向高端迈进"],
    ),
    "food": (
        "食品",
        ["预制菜", "速冻食品", "休闲食品", "乳制品", "肉制品"],
        [
            "{c}{prod}生产线投产，日处理原料能力达到{m}吨",
            "{p}食品产业营业收入达到{m}亿元，培育规模以上食品企业{n}家",
            "预制菜企业加快冷链物流建设，产品覆盖全国{n}个城市",
            "粮食精深加工项目延伸产业链，农产品附加值提高{n}%",
            "食品企业建立全程质量追溯体系，抽检合格率保持在99%以上",
            "{prod}线上销售额同比增长{r}%，直播电商成为新渠道",
        ],
        ["{p}食品产业链提质增效", "{cs}{prod}畅销全国", "{p}预制菜产业跑出加速度"],
    ),
    "hair-products": (
        "发制品",
        ["假发", "发套", "接发", "化纤发丝", "发饰"],
        [
            "{c}每年推出{prod}新品{m}款，新品上市周期缩短至两个月",
            "{p}发制品出口额达到{n}.{k}亿美元，产品销往{n}个国家和地区",
            "发制品企业引入智能化发丝处理设备，部分工序效率提高{k}倍",
            "跨境电商成为发制品出口新增长点，企业在海外开设官方店铺",
            "阻燃仿真发丝材料研发成功，填补国内空白",
            "发制品行业协会组织企业参加国际展会，现场签约{n}亿元",
        ],
        ["{p}发制品出口逆势增长", "{cs}{prod}远销海外", "{p}发制品产业向品牌输出升级"],
    ),
    "building-materials": (
        "建材",
        ["装配式墙板", "钧瓷", "特种玻璃", "绿色建材", "新型水泥"],
        [
            "{c}{prod}生产线通过绿色工厂认证",
            "{p}装配式建筑占新建建筑比例提高到{n}%",
            "钧瓷文化产业园引进文化创意企业{n}家，年接待游客{m}万人次",
            "建材企业实施超低排放改造，颗粒物排放浓度下降{n}%",
            "新型墙体材料通过国家级检测认证，已在{n}个项目中应用",
            "{prod}产品进入政府采购目录，订单同比增长{r}%",
        ],
        ["{p}建材产业绿色转型提速", "{cs}{prod}走向全国", "{p}装配式建筑加快推广"],
    ),
    "chemicals": (
        "化工",
        ["精细化学品", "有机硅", "新型涂料", "电子化学品", "可降解塑料"],
        [
            "{c}年产{n}万吨{prod}项目建成投产",
            "{p}化工园区完成认定，入园企业{n}家",
            "化工企业实施清洁生产改造，主要污染物排放量下降{n}%",
            "电子级化学品纯度达到国际标准，进入半导体企业供应链",
            "园区建设危险化学品智能监管平台，实现全流程在线监测",
            "{prod}价格企稳回升，企业开工率提高到{n}%",
        ],
        ["{p}化工产业向精细化转型", "{cs}{prod}项目投产", "{p}化工园区提质增效"],
    ),
    "light-textiles": (
        "轻纺",
        ["功能性面料", "服装", "家纺产品", "产业用纺织品", "再生纤维"],
        [
            "{c}{prod}智能车间投用，用工减少{n}%",
            "{p}纺织服装产业集群营业收入达到{m}亿元",
            "印染企业集中入园，统一治污后水重复利用率达到{n}%",
            "轻纺企业加快数字化转型，智能车间覆盖率提高到{n}%",
            "{prod}订单饱满，企业新增就业岗位{m}个",
            "纺织企业与高校共建功能性纤维实验室，开发新品{n}个",
        ],
        ["{p}轻纺产业焕发新活力", "{cs}{prod}订单饱满", "{p}纺织服装产业集群提质升级"],
    ),
}

# Sentences any industry's article may hold ({ind} and {prod} are the article's own).
SHARED = [
    "据介绍，{c}项目总投资{m}万元，建成后可年产{prod}{n}万件",
    "{p}{ind}产业规模持续扩大，去年营业收入同比增长{r}%",
    "今年以来，{c}订单同比增长{r}%，生产线满负荷运转",
    "企业负责人介绍，新产线投产后预计年新增产值{n}亿元",
    "{c}建成省级工程技术研究中心，拥有发明专利{n}项",
    "{p}围绕{ind}产业链精准招商，新签约项目{n}个，总投资{m}亿元",
    "{c}与{p}高校院所共建联合实验室，聚焦{prod}关键技术攻关",
    "{ind}企业加快数字化改造，关键工序效率提高{n}%",
    "{p}设立{ind}产业发展基金，规模达到{n}亿元",
    "目前，{c}{prod}产品已进入{n}家龙头企业的供应链",
    "专家认为，{ind}产业正处于由大到强的关键阶段，需在核心技术上持续发力",
    "{p}出台支持{ind}产业发展的若干措施，对重点项目给予最高{m}万元奖励",
    "{c}年研发投入超过营业收入的{k}%，新产品贡献率达到{n}%",
    "园区管委会表示，将为{ind}企业提供全生命周期服务",
    "{c}{prod}项目从签约到投产仅用了{n}个月",
    "行业数据显示，{prod}市场需求持续增长，价格总体保持稳定",
    "{p}{ind}产业集群入选省级创新型产业集群",
    "{c}积极开拓海外市场，{prod}出口额同比增长{r}%",
    "{p}组织{ind}企业开展产需对接活动，现场签约金额{n}亿元",
    "{c}获评国家级专精特新小巨人企业",
]  # fmt: skip
GENERAL = [
    "{p}高新技术企业数量达到{m}家，创历史新高",
    "今年前{k}个月，{p}技术合同成交额同比增长{r}%",
    "{p}科技型中小企业突破{m}家，研发投入强度稳步提升",
    "会议强调，要坚持以企业为主体，推动创新链产业链资金链人才链深度融合",
    "{p}规模以上工业增加值同比增长{n}.{k}%，高于全省平均水平",
    "省科技厅发布通知，组织申报{y}年度重大科技专项",
    "通知明确，申报单位应具有独立法人资格，且近三年无不良信用记录",
    "知识产权质押融资规模持续扩大，有效缓解中小企业融资难题",
    "{p}新增省级以上创新平台{n}个，累计达到{m}个",
    "国家统计局数据显示，高技术制造业增加值同比增长{n}.{k}%",
    "{p}持续优化营商环境，企业开办时间压缩至{k}个工作日",
    "各县（市、区）要进一步压实责任，确保各项任务按期完成",
    "{p}人才引进政策再升级，对顶尖人才给予最高{m}万元支持",
    "中试基地建设提速，为科研成果转化打通最后一公里",
    "{y}年{mo}月{d}日，{p}召开重点项目建设推进会，观摩项目{n}个",
    "截至{mo}月底，{p}重点项目完成投资{m}亿元，占年度计划的{n}%",
    "数据显示，{p}外贸进出口总值同比增长{r}%",
    "研发费用加计扣除政策惠及企业{m}家，减免税额{n}亿元",
    "{p}推动科技成果就地转化，技术交易额突破{n}亿元",
    "专精特新企业培育工作成效明显，新增国家级小巨人企业{k}家",
    "相关负责人表示，下一步将加强跟踪服务，及时协调解决企业困难",
    "{p}产业园区基础设施不断完善，承载能力显著增强",
    "业内人士表示，这一成果有望在{k}年内实现产业化应用",
    "{p}与{n}所高校签订战略合作协议，共建产业研究院",
]  # fmt: skip
OTHER_HEADLINES = ["{p}：{cs}{ind}新动态", "{ind}观察｜{p}{cs}的创新之路", "{p}{ind}产业调查"]


def sample_sentences() -> list[str]:
    """The demo's sample issue as sentences: real prose among the generated ones."""
    from apps.demo.management.commands.generate_content import _sentences

    found = [" ".join(s.split()).rstrip("。") for s in _sentences() if len(s) < 120]
    return [s for s in found if _gbk(s)]  # a quarter of the sites write GBK


def _gbk(text: str) -> bool:
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


@dataclass
class Article:
    """One generated article: its industry and the things it names, and its paragraphs (each
    a list of sentences without the final 。)."""

    slug: str
    industry: str
    title: str
    place: str
    brand: str
    company: str
    reporter: str
    paragraphs: list[list[str]]
    day: int
    original: str = ""  # for a reprint, the slug of the article it reprints


class Writer:
    """Writes articles from the sentence bank, reproducibly from a seed."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)  # noqa: S311 - test data, reproducible on purpose
        self.samples = sample_sentences()

    def values(self, article_values: dict) -> dict:
        rng = self.rng
        return {
            **article_values,
            "n": rng.randint(2, 99),
            "k": rng.randint(2, 9),
            "m": rng.randint(100, 9999),
            "r": f"{rng.randint(1, 60)}.{rng.randint(0, 9)}",
            "y": rng.choice([2023, 2024]),
            "mo": rng.randint(1, 12),
            "d": rng.randint(1, 28),
            "prod": rng.choice(article_values["products"]),
        }

    def sentence(self, industry: str, context: dict) -> str:
        """A sentence of the article `context` is about, none of its sentences again."""
        rng = self.rng
        used = context.setdefault("used", set())
        for _ in range(5):
            draw = rng.random()
            if draw < 0.45:
                template = rng.choice(INDUSTRIES[industry][2])
            elif draw < 0.75:
                template = rng.choice(SHARED)
            elif draw < 0.95:
                template = rng.choice(GENERAL)
            else:
                template = rng.choice(self.samples).replace("{", "{{").replace("}", "}}")
            if template not in used:
                break
        used.add(template)
        return template.format_map(self.values(context))

    def context(self, industry: str) -> dict:
        rng = self.rng
        name, products, _, _ = INDUSTRIES[industry]
        brand = rng.choice(BRANDS)
        place = rng.choice(PLACES)
        suffix = rng.choice(["有限公司", "股份有限公司", "集团", "科技有限公司"])
        return {
            "ind": name,
            "products": products,
            "p": place,
            "cs": brand,
            "c": f"{place.removesuffix('区')}{brand}{name[:2]}{suffix}",
        }

    def article(self, slug: str, industry: str, outlet: str, day: int) -> Article:
        rng = self.rng
        context = self.context(industry)
        paragraphs = []
        for _ in range(rng.randint(5, 10)):
            paragraphs.append([self.sentence(industry, context) for _ in range(rng.randint(2, 4))])
        reporter = rng.choice(REPORTERS)
        paragraphs[0][0] = f"{outlet}讯（记者 {reporter}）{paragraphs[0][0]}"
        headline = rng.choice(INDUSTRIES[industry][3] + OTHER_HEADLINES)
        return Article(
            slug=slug,
            industry=industry,
            title=headline.format_map(self.values(context)),
            place=context["p"],
            brand=context["cs"],
            company=context["c"],
            reporter=reporter,
            paragraphs=paragraphs,
            day=day,
        )

    def reprint(self, slug: str, original: Article) -> Article:
        """The same story as another outlet runs it: a new headline, its own dateline and
        boilerplate, one sentence changed, now and then the last paragraph dropped."""
        rng = self.rng
        industry = original.industry
        context = {**self.context(industry), "p": original.place, "cs": original.brand}
        context["c"] = original.company
        paragraphs = [list(p) for p in original.paragraphs]
        reporter = rng.choice(REPORTERS)
        first = paragraphs[0][0].split("）", 1)[-1]
        paragraphs[0][0] = f"本报讯（记者 {reporter}）{first}"
        row = rng.randrange(1, len(paragraphs))
        paragraphs[row][rng.randrange(len(paragraphs[row]))] = self.sentence(industry, context)
        if len(paragraphs) >= 7 and rng.random() < 0.3:
            paragraphs.pop()
        if rng.random() < 0.5:
            paragraphs.insert(0, [f"原标题：{original.title}"])
        paragraphs.append([f"（来源：{original.slug.split('/', 1)[0]}）"])
        title = original.title
        while title == original.title:
            title = rng.choice(INDUSTRIES[industry][3] + OTHER_HEADLINES)
            title = title.format_map(self.values(context))
        return Article(
            slug=slug,
            industry=industry,
            title=title,
            place=original.place,
            brand=original.brand,
            company=original.company,
            reporter=reporter,
            paragraphs=paragraphs,
            day=min(original.day + 1, 28),
            original=original.slug,
        )


# --- The loopback sites -------------------------------------------------------------------------


@dataclass
class Site:
    """One feed's site: its address, its outlet's name, its layout and charset, its articles."""

    index: int
    outlet: str
    layout: int
    articles: list[Article] = field(default_factory=list)

    @property
    def host(self) -> str:
        return f"127.0.1.{self.index}"

    @property
    def charset(self) -> str:
        return "GBK" if self.layout == 3 else "utf-8"

    def path(self, article: Article) -> str:
        number = article.slug.rsplit("/", 1)[1]
        day = f"{article.day:02d}"
        return [
            f"/html/2024-03/{day}/content_{number}.htm",
            f"/2024-03/{day}/content_{number}.htm",
            f"/news/2024/03{day}/{number}.html",
            f"/gzdt/202403/t202403{day}_{number}.html",
        ][self.layout]


def build_sites(seed: int = 2026) -> list[Site]:
    """FEEDS sites of ITEMS articles each; REPRINTS_PER_FEED of each site's are reprints of
    another site's original articles."""
    writer = Writer(seed)
    rng = random.Random(seed + 1)  # noqa: S311 - test data
    sites = []
    for index in range(1, FEEDS + 1):
        region, kind = REGIONS[(index - 1) // len(OUTLETS) % len(REGIONS)], OUTLETS[index % 10]
        layout = 3 if index % GBK_SHARE == 0 else index % 3
        sites.append(Site(index, f"{region}{kind}", layout))
    industries = list(INDUSTRIES)
    plans = {site.index: set(rng.sample(range(ITEMS), REPRINTS_PER_FEED)) for site in sites}
    originals = []
    for site in sites:
        for item in range(ITEMS):
            if item in plans[site.index]:
                continue
            slug = f"{site.outlet}/{site.index * 1000 + item + 1000000}"
            article = writer.article(slug, rng.choice(industries), site.outlet, rng.randint(1, 27))
            site.articles.append(article)
            originals.append((site, article))
    for site in sites:
        for item in sorted(plans[site.index]):
            source_site, original = rng.choice(originals)
            while source_site is site:
                source_site, original = rng.choice(originals)
            slug = f"{site.outlet}/{site.index * 1000 + item + 1000000}"
            site.articles.append(writer.reprint(slug, original))
        site.articles.sort(key=lambda a: (a.day, a.slug))
    return sites


def _paragraph_html(sentences: list[str]) -> str:
    text = "。".join(sentences)
    if not text.endswith(("。", "）", "”")):
        text += "。"
    return f"<p>{escape(text, quote=False)}</p>"


NAV = {
    0: ["首页", "要闻", "评论", "国内", "国际", "产业", "地方", "科普", "视频", "图片", "专题",
        "数字报"],
    1: ["首页", "时政", "经济", "社会", "文化", "地市", "教育", "健康", "旅游", "房产", "汽车",
        "视频", "直播"],
    2: ["首页", "行业资讯", "市场行情", "技术前沿", "企业展台", "供求信息", "展会", "人才",
        "标准", "会员"],
    3: ["首页", "机构概况", "政务公开", "工作动态", "通知公告", "政策法规", "政策解读",
        "办事服务", "互动交流", "专题专栏"],
}  # fmt: skip


def render_page(site: Site, article: Article) -> str:
    """An article page with its site's chrome around the text."""
    others = [a for a in site.articles if a is not article]
    related = "\n".join(
        f'<li><a href="{site.path(a)}">{escape(a.title)}</a><span>2024-03-{a.day:02d}</span></li>'
        for a in others[:6]
    )
    hot = "\n".join(
        f'<li><a href="{site.path(a)}">{escape(a.title)}</a></li>' for a in others[6:16]
    )
    rolling = "\n".join(
        f'<li><span>03-{a.day:02d}</span><a href="{site.path(a)}" title="{escape(a.title)}">'
        f"{escape(a.title)}</a></li>"
        for a in others[16:28]
    )
    nav = " ".join(f'<a href="/{n}/">{n}</a>' for n in NAV[site.layout])
    body = "\n".join(_paragraph_html(p) for p in article.paragraphs)
    date = f"2024-03-{article.day:02d} {8 + article.day % 10:02d}:{article.day * 2 % 60:02d}"
    meta_charset = (
        '<meta http-equiv="Content-Type" content="text/html; charset=gbk" />'
        if site.layout == 3
        else '<meta charset="utf-8">'
    )
    footer = (
        f"<p>{site.outlet}版权所有 未经书面授权不得转载 <a href='/about/'>关于我们</a> | "
        "<a href='/contact/'>联系我们</a> | <a href='/ad/'>广告服务</a> | <a href='/jubao/'>违法和"
        "不良信息举报</a></p><p>豫ICP备00000000号 豫公网安备00000000000000号 "
        "互联网新闻信息服务许可证 41120170000</p>"
    )
    if site.layout == 3:
        footer = (
            f"<p>主办单位：{site.outlet}　地址：许昌市魏都区示例路{site.index}号　邮编：461000</p>"
            "<p>网站标识码：4110000000　豫ICP备00000000号　<a href='/sitemap.html'>网站地图</a> "
            "<a href='/wza/'>无障碍浏览</a></p>"
        )
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
{meta_charset}
<title>{escape(article.title)}_{escape(site.outlet)}</title>
<meta name="keywords" content="{escape(site.outlet)},{escape(article.place)}">
<meta name="description" content="{escape(article.paragraphs[0][0][:60])}">
<meta name="PubDate" content="{date}">
<meta name="ContentSource" content="{escape(site.outlet)}">
<link rel="stylesheet" href="/css/main.css"><script src="/js/jquery.min.js"></script>
<script>
var _hmt = _hmt || [];
(function () {{
  var hm = document.createElement("script");
  hm.src = "https://hm.example.com/hm.js?{site.index:032d}";
  var s = document.getElementsByTagName("script")[0];
  s.parentNode.insertBefore(hm, s);
}})();
window.shareConfig = {{ title: document.title, url: location.href, channels: ["wechat", "weibo",
  "qzone"], image: "/images/share.png", summary: "" }};
</script>
</head>
<body>
<div class="topbar"><a href="/">{escape(site.outlet)}首页</a> | <a href="/app/">客户端</a> |
<a href="/wx/">微信公众号</a> | <a href="/weibo/">官方微博</a> | <a href="/login/">登录</a></div>
<div class="header"><a class="logo" href="/">{escape(site.outlet)}</a>
<form action="/search/" class="search"><input name="q" placeholder="请输入关键词">
<button>搜索</button></form></div>
<div class="nav">{nav}</div>
<div class="location">您当前的位置：<a href="/">首页</a> &gt;
<a href="/{NAV[site.layout][1]}/">{NAV[site.layout][1]}</a> &gt; 正文</div>
<div class="main"><div class="article">
<h1 class="title">{escape(article.title)}</h1>
<div class="info"><span>{date}</span>　<span>来源：{escape(site.outlet)}</span>
<span>作者：记者 {article.reporter}</span>
<span class="font">字号：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a></span></div>
<div class="content" id="content">
{body}
</div>
<div class="editor">（责任编辑：{article.reporter[:1]}编）</div>
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a>
<a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a>
</div>
</div>
<div class="related"><h3>相关阅读</h3><ul>
{related}
</ul></div>
<div class="sidebar"><h3>热点排行</h3><ol>
{hot}
</ol>
<h3>滚动新闻</h3><ul class="rolling">
{rolling}
</ul>
<h3>专题推荐</h3><ul><li><a href="/zt/2024lh/">聚焦2024全国两会</a></li>
<li><a href="/zt/gzl/">高质量发展调研行</a></li><li><a href="/zt/kjcx/">科技创新看河南</a></li>
</ul></div></div>
<div class="footer">{footer}</div>
</body>
</html>
"""


def render_feed(site: Site, base: str) -> bytes:
    entries = "".join(
        f"<item><title>{escape(a.title)}</title><link>{base}{site.path(a)}</link>"
        f"<guid>{base}{site.path(a)}</guid>"
        f"<description>{escape(a.paragraphs[0][-1][:80])}……</description>"
        f"<pubDate>{_rfc822(a.day)}</pubDate></item>"
        for a in reversed(site.articles)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(site.outlet)}</title><link>{base}/</link>"
        f"<description>{escape(site.outlet)}最新报道</description>{entries}</channel></rss>"
    ).encode()


def _rfc822(day: int) -> str:
    moment = datetime(2024, 3, day, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    return format_datetime(moment)


def responses(sites: list[Site], port: int) -> dict[tuple[str, str], bytes]:
    """Every response of every site, whole (status line, headers, body), by (host, path)."""
    answers = {}
    for site in sites:
        base = f"http://{site.host}:{port}"
        answers[(site.host, "/feed.xml")] = _response(
            "application/rss+xml; charset=utf-8", render_feed(site, base)
        )
        for article in site.articles:
            body = render_page(site, article).encode(site.charset.lower())
            answers[(site.host, site.path(article))] = _response(
                f"text/html; charset={site.charset}", body
            )
    return answers


def _response(content_type: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def serve(answers: dict, port: int, hosts: list[str], ready) -> None:
    """Serve `answers` on every host at `port` until terminated (a forked process)."""

    async def answer(reader, writer):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            target = head.split(b" ", 2)[1].decode("latin-1")
            host = writer.get_extra_info("sockname")[0]
            writer.write(answers.get((host, target), NOT_FOUND))
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError, IndexError):
            pass
        finally:
            writer.close()

    async def main():
        servers = [await asyncio.start_server(answer, host, port, backlog=64) for host in hosts]
        ready.set()
        await asyncio.gather(*(server.serve_forever() for server in servers))

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    asyncio.run(main())


def start_sites(answers: dict, port: int, hosts: list[str]):
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    process = context.Process(target=serve, args=(answers, port, hosts, ready), daemon=True)
    process.start()
    if not ready.wait(30):
        process.kill()
        raise SystemExit("the loopback sites did not start")
    return process


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- Ingest -------------------------------------------------------------------------------------


def ingest_sources(sites: list[Site], port: int):
    """One feed source per site (made once, pointed at this run's port)."""
    from apps.intake.models import Source

    sources = []
    for site in sites:
        name = f"{INGEST_PREFIX}{site.index:03d}·{site.outlet}"
        source, _ = Source.objects.get_or_create(
            name=name, defaults={"url": "http://127.0.1.1/", "kind": Source.Kind.FEED}
        )
        source.url = f"http://{site.host}:{port}/feed.xml"
        source.etag = source.last_modified = ""
        source.save()
        sources.append(source)
    return sources


def remove_clippings(source_ids) -> int:
    """Remove the clippings of these sources with their stories, bands, tags and documents,
    in SQL: the per-row signals would take longer than the round being measured."""
    from django.db import connection, transaction

    from apps.intake.models import Clipping, ClippingDocument, FingerprintBand, Story
    from apps.intake.stories import refresh

    ids = list(Clipping.objects.filter(source_id__in=source_ids).values_list("pk", flat=True))
    if not ids:
        return 0
    stories = list(
        Clipping.objects.filter(pk__in=ids, story__isnull=False)
        .values_list("story_id", flat=True)
        .distinct()
    )
    tables = [
        (FingerprintBand._meta.db_table, "clipping_id"),
        (ClippingDocument._meta.db_table, "rowid"),
        (Clipping.industries.through._meta.db_table, "clipping_id"),
        (Clipping.watch_words.through._meta.db_table, "clipping_id"),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for table, column in tables:
            cursor.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", [ids])  # noqa: S608
        cursor.execute(
            f"UPDATE {Story._meta.db_table} SET lead_id = NULL WHERE id = ANY(%s)",  # noqa: S608
            [stories],
        )
        cursor.execute(f"DELETE FROM {Clipping._meta.db_table} WHERE id = ANY(%s)", [ids])  # noqa: S608
        # A story may keep reprints from other sources: it stays, made again from them.
        cursor.execute(
            f"""DELETE FROM {Story._meta.db_table} s WHERE s.id = ANY(%s) AND NOT EXISTS
            (SELECT 1 FROM {Clipping._meta.db_table} c WHERE c.story_id = s.id)""",  # noqa: S608
            [stories],
        )
        for story in Story.objects.filter(pk__in=stories).values_list("pk", flat=True):
            refresh(story)
    return len(ids)


def run_worker(log, sources) -> dict:
    """One fetching round over `sources` in a process of its own; its figures. The file that
    names the sources to the worker has its figures when it is done."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
        json.dump({"sources": [s.pk for s in sources]}, out)
        result_path = out.name
    command = [sys.executable, str(HERE), "--ingest-worker", result_path]
    started = time.monotonic()
    worker = subprocess.Popen(command, cwd=bench.ROOT, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        worker.wait(timeout=INGEST_SECONDS * 3)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
        message = f"the ingest worker ran past {INGEST_SECONDS * 3:.0f} s; see {log.name}"
        raise SystemExit(message) from None
    if worker.returncode != 0:
        raise SystemExit(f"the ingest worker failed ({worker.returncode}); see {log.name}")
    result = json.loads(Path(result_path).read_text())
    os.unlink(result_path)
    result["process"] = time.monotonic() - started
    return result


class Timings:
    """Where a round's time goes, without a profiler's overhead: the wall time of storing (the
    round's own thread, one page after another) and the CPU time of reading (the fetcher's
    threads: fetch, decode, extract, summary), by wrapping the two in this process only."""

    def __init__(self, ingest):
        import threading

        self.storing = self.reading = 0.0
        self.lock = threading.Lock()
        save, read = ingest.Store.save, ingest.read_page

        def timed_save(store, page, source):
            started = time.perf_counter()
            try:
                return save(store, page, source)
            finally:
                self.storing += time.perf_counter() - started

        def timed_read(url, *args):
            started = time.thread_time()
            try:
                return read(url, *args)
            finally:
                with self.lock:
                    self.reading += time.thread_time() - started

        ingest.Store.save, ingest.read_page = timed_save, timed_read


def ingest_worker(result_path: str) -> None:
    """In the worker process: the round, its wall time, and this process's peak memory."""
    bench.setup_django()
    from apps.intake import ingest
    from apps.intake.ingest import run_round
    from apps.intake.models import Source
    from apps.intake.tagging import suggest

    chosen = json.loads(Path(result_path).read_text())["sources"]
    sources = list(Source.objects.filter(pk__in=chosen).prefetch_related("industries"))
    tagger = suggest("许昌", "许昌").version  # loads the tagger, as a worker has it loaded
    before = bench.process_memory_mib(os.getpid(), "VmRSS")
    timings = Timings(ingest)
    cpu = os.times()
    started = time.monotonic()
    reports = run_round(sources)
    elapsed = time.monotonic() - started
    cpu_after = os.times()
    result = {
        "seconds": elapsed,
        "sources": len(sources),
        "errors": [r.error for r in reports if r.error][:5],
        "failed_sources": sum(1 for r in reports if r.error),
        "new": sum(r.new for r in reports),
        "skipped": sum(len(r.skipped) for r in reports),
        "skipped_examples": [s for r in reports for s in r.skipped][:5],
        "peak_rss": bench.process_memory_mib(os.getpid(), "VmHWM"),
        "rss_before": before,
        "tagger": tagger,
        "storing": timings.storing,
        "reading_cpu": timings.reading,
        "cpu": cpu_after.user + cpu_after.system - cpu.user - cpu.system,
    }
    Path(result_path).write_text(json.dumps(result, ensure_ascii=False))


def ingest_figures(sites: list[Site], port: int, sources) -> dict:
    """What the pool made of the round: clippings, stories, reprints grouped, merges."""
    from apps.intake.links import canonical
    from apps.intake.models import Clipping

    story_of = dict(
        Clipping.objects.filter(source__in=sources).values_list("url", "story_id").iterator()
    )
    original_of = {}  # canonical address -> the slug of the story it tells
    address_of = {}
    for site in sites:
        for article in site.articles:
            address = canonical(f"http://{site.host}:{port}{site.path(article)}")
            original_of[address] = article.original or article.slug
            address_of[article.slug] = address
    reprints = [(a, o) for a, o in original_of.items() if a != address_of.get(o)]
    grouped = sum(
        1
        for address, original in reprints
        if story_of.get(address) is not None
        and story_of.get(address) == story_of.get(address_of[original])
    )
    stories: dict[int, set[str]] = {}
    for address, story in story_of.items():
        if story is not None and address in original_of:
            stories.setdefault(story, set()).add(original_of[address])
    merged = sum(len(tells) - 1 for tells in stories.values() if len(tells) > 1)
    return {
        "pages": len(original_of),
        "clippings": len(story_of),
        "stories": len(stories),
        "expected_stories": len(set(original_of.values())),
        "reprints": len(reprints),
        "grouped": grouped,
        "merged": merged,
        "gbk_pages": sum(len(s.articles) for s in sites if s.charset == "GBK"),
        "page_kib": _page_sizes(sites),
    }


def _page_sizes(sites: list[Site]) -> tuple[float, float]:
    sizes = [
        len(render_page(site, article).encode(site.charset.lower())) / 1024
        for site in sites[:8]
        for article in site.articles
    ]
    return min(sizes), max(sizes)


# The steps of reading and storing a page, by the functions that do them (module, name).
STEPS = [
    ("fetch (HTTP)", "apps/core/outbound.py", "fetch"),
    ("decode", "apps/intake/decoding.py", "decode"),
    ("extract (trafilatura, htmldate)", "apps/intake/extracting.py", "extract"),
    ("summary (extractive)", "apps/intake/summarizing.py", "extractive_summary"),
    ("store: whole (below are parts of it)", "apps/intake/ingest.py", "save"),
    ("  tagging.suggest", "apps/intake/tagging.py", "suggest"),
    ("  dedupe.fingerprint", "apps/intake/dedupe.py", "fingerprint"),
    ("  stories.place (dedupe lookups, bands, story)", "apps/intake/stories.py", "place"),
    ("    dedupe.matches (candidates by band, verified)", "apps/intake/dedupe.py", "matches"),
    ("    dedupe.write_bands", "apps/intake/dedupe.py", "write_bands"),
    ("    stories.refresh", "apps/intake/stories.py", "refresh"),
    ("  pool search document (segmenting)", "apps/intake/pool_search.py", "write"),
    ("  watch words", "apps/intake/watching.py", "found_in"),
    ("SQL (all execute calls)", "django/db/backends/utils.py", "_execute"),
]


def profile_sample(sources, pages: int = PROFILE_PAGES) -> dict:
    """Read and store `pages` pages of the first sources again, one after another in this
    thread under cProfile (the worker's threads are not profiled); the time per step."""
    from apps.intake import ingest

    chosen = sources[: max(1, pages // ITEMS)]
    remove_clippings([s.pk for s in chosen])
    store = ingest.Store()
    names = store.industry_names()
    listings = [(s, ingest.read_listing(s)) for s in chosen]
    profiler = cProfile.Profile()
    started = time.monotonic()
    count = 0
    profiler.enable()
    for source, listing in listings:
        for url in listing.urls:
            page = ingest.read_page(url, names)
            store.save(page, source)
            count += 1
    profiler.disable()
    elapsed = time.monotonic() - started
    stats = pstats.Stats(profiler)
    totals, queries = {}, 0
    for (filename, _, function), (_, calls, _, cumulative, _) in stats.stats.items():
        for label, module, name in STEPS:
            if function == name and filename.endswith(module):
                totals[label] = totals.get(label, 0.0) + cumulative
                if name == "_execute":
                    queries += calls
    top = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:12]
    own = [(f"{Path(f).name}:{line} {fn}", tt) for (f, line, fn), (_, _, tt, _, _) in top]
    return {"pages": count, "seconds": elapsed, "steps": totals, "own": own, "queries": queries}


def measure_ingest() -> dict:
    sites = build_sites()
    port = bench.free_port()
    answers = responses(sites, port)
    sources = ingest_sources(sites, port)
    remove_clippings([s.pk for s in sources])
    vacuum()
    log = tempfile.NamedTemporaryFile("w", prefix="bench-intake-", suffix=".log", delete=False)
    server = start_sites(answers, port, [site.host for site in sites])
    try:
        result = run_worker(log, sources)
        result["server_cpu"] = cpu_seconds(server.pid)
        result.update(ingest_figures(sites, port, sources))
        if PROFILE or result["seconds"] > INGEST_SECONDS:
            result["profile"] = profile_sample(sources)
    finally:
        server.terminate()
        server.join(10)
        log.close()
    if not result["failed_sources"]:
        os.unlink(log.name)
    else:
        result["log"] = log.name
    return result


def ensure_tagger() -> str:
    """A kept tagger model in this database, trained once on a topical archive of
    TAGGER_ARTICLES generated articles (their industries follow their text); its version."""
    from apps.articles.models import Article, Industry, Section
    from apps.intake.models import TaggerModel
    from apps.intake.tagging import train

    current = TaggerModel.objects.order_by("-trained_at").first()
    if current is not None:
        return current.version
    print(f"training the worker's tagger on {TAGGER_ARTICLES:,} topical articles (once)")
    writer = Writer(11)
    rng = random.Random(12)  # noqa: S311 - test data
    industries = {i.slug: i for i in Industry.objects.all()}
    section = Section.objects.order_by("pk").first()
    articles, labels = [], []
    for n in range(TAGGER_ARTICLES):
        main = rng.choice(list(INDUSTRIES))
        article = writer.article(f"t/{n}", main, "本报", 1)
        chosen = {main}
        if rng.random() < 0.3:  # now and then a second industry, a paragraph about it
            other = rng.choice(list(INDUSTRIES))
            article.paragraphs += writer.article(f"t/{n}b", other, "本报", 1).paragraphs[1:3]
            chosen.add(other)
        articles.append(
            Article(
                title=article.title,
                section=section,
                body="".join(_paragraph_html(p) for p in article.paragraphs),
                status=Article.Status.PUBLISHED,
            )
        )
        labels.append(chosen)
    created = Article.objects.bulk_create(articles)
    through = Article.industries.through
    through.objects.bulk_create(
        through(article_id=article.pk, industry_id=industries[slug].pk)
        for article, chosen in zip(created, labels, strict=True)
        for slug in chosen
    )
    result = train()
    print(f"  {result.reason}")
    return result.version if result.kept else "keywords"


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def print_ingest(result: dict) -> bool:
    seconds, rss = result["seconds"], result["peak_rss"]
    low, high = result["page_kib"]
    print(
        f"\ningest: {FEEDS} feeds x {ITEMS} items on 127.0.1.1-127.0.1.{FEEDS} "
        f"({result['pages']:,} pages of {low:.0f}-{high:.0f} KiB, {result['gbk_pages']:,} GBK, "
        f"{result['reprints']:,} reprints), one worker process, "
        f"INTAKE_HOST_INTERVAL={HOST_INTERVAL} s, tagger: {result['tagger']}"
    )
    time_ok, rss_ok = seconds <= INGEST_SECONDS, rss <= INGEST_RSS
    print(
        f"wall time for the round: {seconds:.1f} s ({result['pages'] / seconds:.1f} pages/s; "
        f"target <= {INGEST_SECONDS:.0f} s: {verdict(time_ok)}); the site's CPU: "
        f"{result['server_cpu']:.1f} s"
    )
    pages = result["pages"]
    print(
        f"where the time went (no profiler): storing, in the round's own thread one page after "
        f"another: {result['storing']:.0f} s ({result['storing'] / seconds:.0%} of the round, "
        f"{result['storing'] / pages * 1000:.0f} ms per page); reading in the fetcher's threads "
        f"(fetch, decode, extract, summary): {result['reading_cpu']:.0f} CPU-s "
        f"({result['reading_cpu'] / pages * 1000:.0f} ms per page); the worker's CPU: "
        f"{result['cpu']:.0f} s ({result['cpu'] / seconds:.0%} of one core; the budget for "
        f"{INGEST_SECONDS:.0f} s is {INGEST_SECONDS / (200 * ITEMS) * 1000:.0f} ms per page)"
    )
    print(
        f"worker peak RSS: {rss:.0f} MiB (target <= {INGEST_RSS} MiB: {verdict(rss_ok)}); "
        f"before the round, with Django, the tagger and the extractor loaded: "
        f"{result['rss_before']:.0f} MiB"
    )
    stored_ok = result["clippings"] == result["pages"]
    print(
        f"clippings stored: {result['clippings']:,} (target = {result['pages']:,}: "
        f"{verdict(stored_ok)}); sources failed: {result['failed_sources']}, "
        f"pages skipped: {result['skipped']}"
    )
    for line in result["errors"] + result["skipped_examples"]:
        print(f"    {line}")
    share = result["grouped"] / result["reprints"] if result["reprints"] else 0.0
    grouped_ok, merged_ok = share >= GROUPED_TARGET, result["merged"] == 0
    print(
        f"stories: {result['stories']:,} (expected {result['expected_stories']:,} when every "
        f"reprint joins its original's story)"
    )
    print(
        f"reprints grouped: {result['grouped']:,} of {result['reprints']:,} = {share:.1%} "
        f"(target >= {GROUPED_TARGET:.0%}: {verdict(grouped_ok)}); distinct stories merged: "
        f"{result['merged']} (target 0: {verdict(merged_ok)})"
    )
    if "profile" in result:
        print_profile(result["profile"])
    if "log" in result:
        print(f"the worker's output is in {result['log']}")
    return time_ok and rss_ok and stored_ok and grouped_ok and merged_ok


def print_profile(profile: dict) -> None:
    pages, seconds = profile["pages"], profile["seconds"]
    print(
        f"profile: {pages} pages read and stored one after another in one thread (cProfile, "
        "its overhead included): "
        f"{seconds:.1f} s, {seconds / max(pages, 1) * 1000:.0f} ms per page, "
        f"{profile['queries'] / max(pages, 1):.0f} SQL queries per page"
    )
    for label, _, _ in STEPS:
        spent = profile["steps"].get(label, 0.0)
        print(f"    {label:<52}{spent:>8.1f} s {spent / max(pages, 1) * 1000:>8.1f} ms/page")
    print("  most time in the function itself:")
    for name, spent in profile["own"]:
        print(f"    {name:<70}{spent:>8.1f} s")


# --- The desk -----------------------------------------------------------------------------------


def ensure_desk_clippings() -> None:
    """DESK_CLIPPINGS clippings in stories (one in five a reprint), with industries, watch
    words and search documents; made once and kept."""
    from django.db import connection, transaction
    from django.utils import timezone

    from apps.articles.models import Industry
    from apps.intake.models import Clipping, Source, Story, WatchWord
    from apps.intake.pool_search import rebuild

    desk = Clipping.objects.filter(source_name__startswith=DESK_PREFIX)
    if desk.count() >= DESK_CLIPPINGS:
        return
    print(f"generating {DESK_CLIPPINGS:,} clippings for the desk (once; kept in its database)")
    started = time.monotonic()
    sources = []
    for n in range(20):
        source, _ = Source.objects.get_or_create(
            name=f"{DESK_PREFIX}信息源{n:02d}",
            defaults={"url": f"https://desk{n}.example.com/rss.xml", "active": False},
        )
        sources.append(source)
    writer = Writer(7)
    rng = random.Random(8)  # noqa: S311 - test data
    industries = {i.slug: i.pk for i in Industry.objects.all()}
    words = []
    for word in ["许昌", "许继", "瑞贝卡", "黄河旋风", "长葛", "禹州", "超硬材料", "假发"]:
        words.append(WatchWord.objects.get_or_create(word=word)[0].pk)
    now = timezone.now()
    remove_clippings([s.pk for s in sources])
    with transaction.atomic():
        story_count = DESK_CLIPPINGS * 4 // 5
        stories = Story.objects.bulk_create((Story() for _ in range(story_count)), batch_size=5000)
        # Each story's clippings in a row, the earliest first, so the lowest id is the lead.
        sizes = [1] * story_count
        for _ in range(DESK_CLIPPINGS - story_count):
            sizes[rng.randrange(story_count)] += 1
        tags, watched = [], []
        batch = []
        made = 0
        for story, size in zip(stories, sizes, strict=True):
            industry = rng.choice(list(INDUSTRIES))
            base = writer.article(f"d/{story.pk}", industry, "本报", 1)
            fetched = now - timezone.timedelta(minutes=rng.randint(0, 90 * 24 * 60))
            for copy in range(size):
                source = rng.choice(sources)
                text = "\n".join("。".join(p) + "。" for p in base.paragraphs[:4])
                batch.append(
                    Clipping(
                        source=source,
                        source_name=f"{DESK_PREFIX}{source.name[-4:]}",
                        url=f"https://desk{made}.example.com/a/{made}.html",
                        title=base.title if copy == 0 else f"{base.title}（{copy}）",
                        published_at=fetched + timezone.timedelta(minutes=copy),
                        fetched_at=fetched + timezone.timedelta(minutes=copy),
                        html="".join(_paragraph_html(p) for p in base.paragraphs[:4]),
                        text=text,
                        summary=text[:110],
                        industry_scores={industry: 0.8},
                        story_id=story.pk,
                    )
                )
                made += 1
            if len(batch) >= 5000:
                _store_desk_batch(batch, industries, words, rng, tags, watched)
                batch = []
        _store_desk_batch(batch, industries, words, rng, tags, watched)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE {Story._meta.db_table} s SET lead_id = x.lead, size = x.n,
                first_seen_at = x.first, day = (x.first AT TIME ZONE 'Asia/Shanghai')::date,
                watched = x.watched
                FROM (SELECT c.story_id, MIN(c.id) lead, COUNT(*) n, MIN(c.fetched_at) first,
                      bool_or(w.clipping_id IS NOT NULL) watched
                      FROM {Clipping._meta.db_table} c
                      LEFT JOIN {Clipping.watch_words.through._meta.db_table} w
                        ON w.clipping_id = c.id
                      WHERE c.source_name LIKE %s GROUP BY c.story_id) x
                WHERE s.id = x.story_id""",  # noqa: S608 - our own table names
                [f"{DESK_PREFIX}%"],
            )
    print(f"  rows in {time.monotonic() - started:.0f} s; the search documents:")
    documents = rebuild()
    print(f"  {documents:,} search documents; {time.monotonic() - started:.0f} s in all")
    vacuum()


def _store_desk_batch(batch, industries, words, rng, tags, watched) -> None:
    from apps.intake.models import Clipping

    created = Clipping.objects.bulk_create(batch)
    through = Clipping.industries.through
    through.objects.bulk_create(
        through(clipping_id=c.pk, industry_id=industries[next(iter(c.industry_scores))])
        for c in created
    )
    watch = Clipping.watch_words.through
    watch.objects.bulk_create(
        watch(clipping_id=c.pk, watchword_id=rng.choice(words))
        for c in created
        if rng.random() < 0.05
    )


def ensure_editor():
    """An editor with a password and a new TOTP device; returns the device."""
    return bench.ensure_staff(EDITOR, EDITOR_PASSWORD, "编辑")


def sign_in_editor(device) -> str:
    """Sign in at /admin/login/ with the password and a TOTP code; the session key."""
    return bench.sign_in_staff(EDITOR, EDITOR_PASSWORD, device).cookies["sessionid"]


DESK_PAGES = [
    ("the desk's list", "/admin/intake/clipping/"),
    (f"a search in it (?q={SEARCH})", f"/admin/intake/clipping/?q={quote(SEARCH)}"),
]


def count_queries(device) -> dict:
    """SQL queries per request of each desk page at 10 and at 100 rows per page (Django's
    test client in this process, signed in with the second factor)."""
    from django.contrib import admin
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_otp import DEVICE_ID_SESSION_KEY

    from apps.intake.models import Clipping

    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    client.force_login(device.user, backend="apps.accounts.backends.UsernameEmailOrMobileBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    model_admin = admin.site._registry[Clipping]
    kept = model_admin.list_per_page
    counts = {}
    try:
        for rows in (10, 100):
            model_admin.list_per_page = rows
            for name, path in DESK_PAGES:
                client.get(path, secure=True)  # caches (content types, permissions) warm
                with CaptureQueriesContext(connection) as captured:
                    response = client.get(path, secure=True)
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code} to the editor")
                counts[(name, rows)] = len(captured)
    finally:
        model_admin.list_per_page = kept
    return counts


def measure_desk() -> dict:
    ensure_desk_clippings()
    device = ensure_editor()
    counts = count_queries(device)
    server = bench.start_server()
    rows = []
    try:
        session = sign_in_editor(device)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(
                f'wrk.headers["Cookie"] = "sessionid={session}"\n'
                'wrk.headers["X-Forwarded-Proto"] = "https"\n'
            )
        try:
            for name, path in DESK_PAGES:
                for _ in range(6):  # both workers warm: imports, templates, the segmenter
                    browser = bench.Browser()
                    browser.cookies["sessionid"] = session
                    status, _ = browser.request("GET", path)
                    if status != 200:
                        raise SystemExit(f"{path} answered {status} under gunicorn")
                rows.append((name, bench.run_wrk(path, script.name, DESK_CONNECTIONS)))
        finally:
            os.unlink(script.name)
        rss = bench.worker_rss_mib(server)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    from apps.intake.models import Clipping

    return {"rows": rows, "counts": counts, "rss": rss, "clippings": Clipping.objects.count()}


def print_desk(result: dict) -> bool:
    print(
        f"\nthe desk: {result['clippings']:,} clippings; gunicorn {bench.WORKERS} sync workers; "
        f"wrk {bench.DURATION} at {DESK_CONNECTIONS} connections, signed in as an editor"
    )
    print(f"{'page':<40}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}  target")
    ok = True
    for name, (rps, p50, p99, errors) in result["rows"]:
        met = p99 <= DESK_P99 and not errors
        ok &= met
        print(
            f"{_pad(name, 40)}{rps:>10.0f}{p50:>10.2f}{p99:>10.2f}{errors:>8}  "
            f"p99 <= {DESK_P99:.0f} ms: {verdict(met)}"
        )
    counts = result["counts"]
    for name, _ in DESK_PAGES:
        few, many = counts[(name, 10)], counts[(name, 100)]
        fixed = few == many
        ok &= fixed
        print(
            f"SQL queries per request, {name}: {few} at 10 rows, {many} at 100 rows: "
            f"{'fixed' if fixed else 'NOT fixed'}"
        )
    print(f"largest gunicorn worker RSS: {result['rss']:.0f} MiB")
    return ok


def _pad(text: str, width: int) -> str:
    # A Chinese character takes two columns in a terminal.
    used = sum(2 if ord(char) > 0x2E7F else 1 for char in text)
    return text + " " * max(width - used, 1)


# --- Quality ------------------------------------------------------------------------------------


def run_quality() -> tuple[str, int] | None:
    """benchmarks/intake_quality.py's own report (it prints its figures and targets), when it
    exists; (its output, its exit status)."""
    script = HERE.parent / "intake_quality.py"
    if not script.exists():
        return None
    done = subprocess.run(  # noqa: S603 - our interpreter and our script
        [sys.executable, str(script)], cwd=bench.ROOT, capture_output=True, text=True, check=False
    )
    return done.stdout + done.stderr, done.returncode


def run_tagger() -> dict | None:
    """The tagger trained on bench.py's archive, in a child process on its database."""
    if not MAIN_DATABASE_URL:
        return None
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as out:
        result_path = out.name
    env = {**os.environ, "BENCH_DATABASE_URL": MAIN_DATABASE_URL}
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(HERE), "--tagger", result_path], cwd=bench.ROOT, env=env, check=False
    )
    if done.returncode != 0:
        return {"error": f"the tagger's run failed ({done.returncode})"}
    result = json.loads(Path(result_path).read_text())
    os.unlink(result_path)
    return result


def tagger_child(result_path: str) -> None:
    """In the child on bench.py's archive: train, compare, and keep nothing."""
    bench.ensure_database()
    bench.setup_django()
    bench.ensure_archive()
    from django.db import transaction

    from apps.intake.tagging import train

    started = time.monotonic()
    with transaction.atomic():
        result = train()
        transaction.set_rollback(True)  # the figures are wanted, not the model
    figures = {
        "seconds": time.monotonic() - started,
        "articles": result.articles,
        "held_out": result.held_out,
        "reason": result.reason,
        "model": result.model.micro_f1 if result.model else None,
        "keywords": result.keywords.micro_f1 if result.keywords else None,
        "model_macro": result.model.macro_f1 if result.model else None,
        "keywords_macro": result.keywords.macro_f1 if result.keywords else None,
    }
    Path(result_path).write_text(json.dumps(figures, ensure_ascii=False))


def worker_tagger() -> dict | None:
    """The held-out figures stored with the model the ingest worker tags with."""
    from apps.intake.models import TaggerModel

    model = TaggerModel.objects.order_by("-trained_at").first()
    if model is None or not model.metrics.get("model"):
        return None
    return {
        "version": model.version,
        "articles": model.metrics.get("articles", 0),
        "held_out": model.metrics.get("held_out", 0),
        "model": model.metrics["model"]["micro_f1"],
        "keywords": model.metrics["keywords"]["micro_f1"],
    }


def print_quality(quality, tagger, topical) -> bool:
    ok = True
    print("\nquality")
    if quality is None:
        print("benchmarks/intake_quality.py is missing: no reprint test set figures")
    else:
        output, status = quality
        print(output.rstrip())
        ok &= status == 0
    if tagger is None:
        print("tagger: no archive database given (BENCH_MAIN_DATABASE_URL)")
    elif "error" in tagger:
        print(f"tagger: {tagger['error']}")
        ok = False
    elif tagger["model"] is None:
        print(f"tagger on the archive ({tagger['articles']:,} tagged articles): {tagger['reason']}")
        ok = False
    else:
        better = tagger["model"] > tagger["keywords"]
        ok &= better
        print(
            f"tagger on the archive's held-out split ({tagger['held_out']:,} of "
            f"{tagger['articles']:,} tagged articles, trained in {tagger['seconds']:.0f} s): "
            f"model micro-F1 {tagger['model']:.3f} vs keywords {tagger['keywords']:.3f} "
            f"(macro {tagger['model_macro']:.3f} vs {tagger['keywords_macro']:.3f}) "
            f"(target: model > keywords: {verdict(better)})"
        )
        print(
            "    (generate_content gives each archive article 1-3 industries drawn at random, "
            "whatever its text: neither tagger can do well on them)"
        )
    if topical is not None:
        print(
            f"tagger of the ingest worker ({topical['version']}, on this database's topical "
            f"archive, {topical['held_out']:,} of {topical['articles']:,} held out): "
            f"model micro-F1 {topical['model']:.3f} vs keywords {topical['keywords']:.3f}"
        )
    return ok


# --- Main ---------------------------------------------------------------------------------------


def main() -> int:
    # A line per request would bury the figures under wrk's thousands (warnings still show).
    quiet = {"LOG_LEVEL": "WARNING"}
    os.environ.update(
        {"INTAKE_HOST_INTERVAL": HOST_INTERVAL, "INTAKE_ALLOWED_NETWORKS": "127.0.0.0/8", **quiet}
    )
    bench.SERVER_ENV.update(quiet)
    for name in ("LLM_BASE_URL", "LLM_MODEL", "LLM_API_KEY"):
        os.environ.pop(name, None)  # the extractive summary: no model server here
    bench.ensure_database()
    bench.setup_django()
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    cache.clear()
    ok = True
    if "ingest" in STEPS_RUN:
        ensure_tagger()
        ok &= print_ingest(measure_ingest())
    if "desk" in STEPS_RUN:
        ok &= print_desk(measure_desk())
    if "quality" in STEPS_RUN:
        ok &= print_quality(run_quality(), run_tagger(), worker_tagger())
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--ingest-worker":
        ingest_worker(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "--tagger":
        tagger_child(sys.argv[2])
    else:
        sys.exit(main())
