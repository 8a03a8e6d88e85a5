from django.core.management.base import BaseCommand

from apps.intake.tagging import Figures, TrainingResult, train


class Command(BaseCommand):
    help = (
        "用已发布文章的产业标注（及编辑确认过的素材产业）训练产业标注模型，"
        "在留出的检验集上与关键词建议比较，更好时才启用。后台任务进程每周自动训练一次。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-articles",
            type=int,
            default=None,
            help="至少需要多少篇已标注的已发布文章（默认取 INTAKE_TAGGER_MIN_ARTICLES）。",
        )

    def handle(self, *args, min_articles, **options):
        result = train(min_articles=min_articles)
        self.stdout.write(
            f"已标注文章 {result.articles} 篇，编辑确认的素材 {result.corrections} 条。"
        )
        if result.model is not None:
            self.stdout.write(f"检验集（留出）{result.held_out} 篇：")
            self.stdout.write(table(result))
        # Not keeping a model is an outcome, not a failure: exit 0 either way.
        self.stdout.write(result.reason)
        if result.kept:
            self.stdout.write(f"模型版本 {result.version}，大小 {result.size / 1024:.0f} KiB。")


def table(result: TrainingResult) -> str:
    """The held-out figures per industry: the new model, the keyword suggester and, when one is
    in use, the current model. n is the industry's held-out examples; "-" is a figure that
    has nothing to count (no example of the industry, or none suggested)."""
    columns = [("新模型 model", result.model), ("关键词 keywords", result.keywords)]
    if result.current is not None:
        columns.append((f"现用 {result.current_version}", result.current))
    lines = [
        _pad("产业 industry", 18) + f"{'n':>4}" + "".join(f"  {_pad(n, 20)}" for n, _ in columns),
        " " * 22 + "".join(f"  {'P':>6} {'R':>6} {'F1':>6}" for _ in columns),
    ]
    for slug, name in result.names.items():
        support = result.model.industries[slug]["support"]
        cells = "".join(_cells(figures, slug) for _, figures in columns)
        lines.append(f"{_pad(name, 18)}{support:>4}{cells}")
    for label, attribute in (("micro F1", "micro_f1"), ("macro F1", "macro_f1")):
        cells = "".join(f"  {'':>6} {'':>6} {getattr(f, attribute):>6.2f}" for _, f in columns)
        lines.append(f"{label:<22}{cells}")
    return "\n".join(lines)


def _cells(figures: Figures, slug: str) -> str:
    row = figures.industries[slug]
    precision = f"{row['precision']:.2f}" if row["chosen"] else "-"
    recall = f"{row['recall']:.2f}" if row["support"] else "-"
    f1 = f"{row['f1']:.2f}" if row["support"] else "-"
    return f"  {precision:>6} {recall:>6} {f1:>6}"


def _pad(text: str, width: int) -> str:
    # A Chinese character takes two columns in a terminal.
    used = sum(2 if ord(char) > 0x2E7F else 1 for char in text)
    return text + " " * max(width - used, 1)
