"""The articles to create, once the editor's choices are applied to what was detected.

Dropping leaves an article out. Merging appends an article to the one before it that is kept:
its title becomes a subheading there, its images, tags and (if that one has none) its source
go with it. Each kept article takes the section the editor chose for it.
"""

from dataclasses import dataclass, field
from html import escape

from apps.wordimport.parsing import ParsedIssue


class PlanRefused(Exception):
    """The choices cannot be carried out; the message says why, in Chinese."""


@dataclass
class Choice:
    section: object  # a Section
    industries: list = field(default_factory=list)
    drop: bool = False
    merge: bool = False


@dataclass
class PlannedArticle:
    title: str
    section: object
    subtitle: str = ""
    source: str = ""
    author: str = ""
    body_html: str = ""
    industries: list = field(default_factory=list)
    image_indexes: list[int] = field(default_factory=list)
    merged_titles: list[str] = field(default_factory=list)


def plan_articles(parsed: ParsedIssue, choices: list[Choice]) -> list[PlannedArticle]:
    """Return the articles to create, in document order, or raise PlanRefused."""
    planned: list[PlannedArticle] = []
    for article, choice in zip(parsed.articles, choices, strict=True):
        if choice.drop:
            continue
        if choice.merge:
            if not planned:
                raise PlanRefused(
                    f"“{article.title}”前面没有保留的文章，无法“并入上一篇”。"
                    "请取消勾选，或保留它前面的文章。"
                )
            _merge(planned[-1], article, choice)
            continue
        planned.append(
            PlannedArticle(
                title=article.title,
                section=choice.section,
                subtitle=article.subtitle,
                source=article.source,
                author=article.author,
                body_html=article.body_html,
                industries=list(choice.industries),
                image_indexes=list(article.image_indexes),
            )
        )
    if not planned:
        raise PlanRefused("没有要导入的文章：请至少保留一篇。")
    for article in planned:
        if not article.body_html:
            raise PlanRefused(f"“{article.title}”没有正文。请删除它，或把下一篇“并入上一篇”。")
    return planned


def _merge(target: PlannedArticle, article, choice: Choice) -> None:
    parts = [f"<h3>{escape(article.title)}</h3>"]
    if article.source and not target.source:
        target.source = article.source
    elif article.source and article.source != target.source:
        parts.append(f"<p>（来源：{escape(article.source)}）</p>")
    if article.author and not target.author:
        target.author = article.author
    target.body_html += "".join(parts) + article.body_html
    target.image_indexes += article.image_indexes
    target.industries += [i for i in choice.industries if i not in target.industries]
    target.merged_titles.append(article.title)
