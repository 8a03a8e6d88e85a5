"""Arranging an issue on its own page: the order of its sections and of the articles in each.

A layout is a list of (section id, [article ids]) in the order readers will see them. Every
change, a button's or a drag's, becomes a whole new layout and goes through `arrange`, which
checks it against the layout the page showed (nobody else rearranged in between), saves it in
one transaction, and never trips the one-position-per-section rule while articles swap places.
"""

import json

from django.db import IntegrityError, transaction

from apps.articles.models import Article, IssueSection, Section
from apps.core.ids import parse_id
from apps.issues.models import Issue
from apps.workflow.roles import may_edit

# Articles on the move wait at positions above every position in the issue, so that no two
# ever share one; positions are small numbers (PositiveSmallIntegerField).
HIGHEST_POSITION = 32_767
# A layout is a few hundred numbers; anything much longer is not one.
MAX_LAYOUT_LENGTH = 100_000


class ArrangeRefused(Exception):
    """The arrangement cannot be saved; the message says why."""


def current_layout(issue) -> list[tuple[Section, list[Article]]]:
    """The issue's sections in its order, each with its articles by position; sections the
    issue placed stay even when empty, so that articles can be moved back into them."""
    articles = list(Article.objects.filter(issue=issue).for_contents())
    layout = {}
    for article in articles:
        layout.setdefault(article.section, []).append(article)
    placed = IssueSection.objects.filter(issue=issue).select_related("section")
    for place in placed.order_by("order"):
        layout.setdefault(place.section, [])
    ranks = {place.section_id: place.order for place in placed}
    return sorted(
        layout.items(),
        key=lambda item: (ranks.get(item[0].pk, len(ranks) + 1 + item[0].order), item[0].pk),
    )


def as_ids(layout) -> list[tuple[int, list[int]]]:
    return [(section.pk, [article.pk for article in articles]) for section, articles in layout]


def fingerprint(ids) -> str:
    """What the page showed, to tell whether someone rearranged since."""
    return json.dumps(ids, separators=(",", ":"))


def parse(text) -> list[tuple[int, list[int]]]:
    """A layout sent by the page (JSON), or ArrangeRefused when it is not one."""
    refused = ArrangeRefused("编排数据无法识别，请刷新页面后重试。")
    if len(text or "") > MAX_LAYOUT_LENGTH:
        raise refused
    try:
        data = json.loads(text)
        layout = [(_id(section), [_id(pk) for pk in articles]) for section, articles in data]
    except (TypeError, ValueError, OverflowError, RecursionError) as error:
        raise refused from error
    return layout


def _id(value) -> int:
    """A database id, as JSON gives it (a number, or the page's string of ASCII digits)."""
    pk = parse_id(str(value)) if isinstance(value, int | str) else None
    if pk is None:
        raise ValueError(value)
    return pk


# --- The changes a button asks for, each giving a new layout --------------------------------


def moved(ids, action, target_section=None) -> list[tuple[int, list[int]]]:
    """The layout after `action` ("up:<article>", "down:<article>", "to:<article>",
    "section-up:<section>", "section-down:<section>"); `target_section` for "to"."""
    kind, _, value = action.partition(":")
    pk = parse_id(value)
    if pk is None:
        raise ArrangeRefused("无法识别的编排操作。")
    layout = [(section, list(articles)) for section, articles in ids]
    if kind in ("up", "down"):
        for _, articles in layout:
            if pk in articles:
                _swap(articles, articles.index(pk), -1 if kind == "up" else 1)
                return layout
        raise ArrangeRefused("这篇文章已不在本期中，请刷新页面。")
    if kind == "to":
        for _, articles in layout:
            if pk in articles:
                articles.remove(pk)
        if target_section is None:
            raise ArrangeRefused("请选择要移到的栏目。")
        for section, articles in layout:
            if section == target_section:
                articles.append(pk)
                return layout
        return [*layout, (target_section, [pk])]
    if kind in ("section-up", "section-down"):
        sections = [section for section, _ in layout]
        if pk not in sections:
            raise ArrangeRefused("这个栏目已不在本期中，请刷新页面。")
        _swap(layout, sections.index(pk), -1 if kind == "section-up" else 1)
        return layout
    raise ArrangeRefused("无法识别的编排操作。")


def _swap(items, index, step):
    other = index + step
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]


# --- Saving -----------------------------------------------------------------------------------


def arrange(issue, layout, *, base, by) -> int:
    """Save `layout` for `issue` as `by`; `base` is the fingerprint of the layout the page
    showed. Returns how many articles moved."""
    if not may_edit(by, issue):
        raise ArrangeRefused("您不能调整这一期的编排。")
    try:
        with transaction.atomic():
            return _arrange(issue, layout, base=base, by=by)
    except IntegrityError as error:  # an article form saved a position in between
        raise ArrangeRefused("保存编排时与其他修改冲突，请刷新页面后重试。") from error


def _arrange(issue, layout, *, base, by) -> int:
    Issue.objects.select_for_update().get(pk=issue.pk)
    # Locked before they are compared: an article form cannot move one in between.
    articles = {a.pk: a for a in Article.objects.select_for_update().filter(issue=issue)}
    before = as_ids(current_layout(issue))
    if fingerprint(before) != base:
        raise ArrangeRefused(
            "在您打开此页面之后，本期的编排已被修改（或增删了文章）。"
            "下面是最新的编排，请在此基础上重新调整。"
        )
    placed = [pk for _, pks in layout for pk in pks]
    if sorted(placed) != sorted(articles) or len(set(placed)) != len(placed):
        raise ArrangeRefused("编排数据不完整，请刷新页面后重试。")
    sections = [section for section, _ in layout]
    known = set(Section.objects.filter(pk__in=sections).values_list("pk", flat=True))
    if len(set(sections)) != len(sections) or set(sections) != known:
        raise ArrangeRefused("编排中的栏目不存在，请刷新页面后重试。")

    targets = {
        pk: (section, position)
        for section, pks in layout
        for position, pk in enumerate(pks, start=1)
    }
    moving = [a for pk, a in articles.items() if targets[pk] != (a.section_id, a.position)]
    # First out of the way, then into place: a swap never meets itself half-way.
    parking = max((a.position for a in articles.values()), default=0) + 1
    if parking + len(moving) > HIGHEST_POSITION:
        raise ArrangeRefused("本期文章的序号过大，请先在文章中把序号改小后再调整编排。")
    for place, article in enumerate(moving, start=parking):
        Article.objects.filter(pk=article.pk).update(position=place)
    for article in moving:
        article.section_id, article.position = targets[article.pk]
        article.updated_by = by
        article._history_user = by
        article._change_reason = "调整编排"
        article.save(update_fields=["section", "position", "updated_by"])

    # A section moved carries its articles along: they count as moved, as readers see them.
    rank_before = {section: rank for rank, (section, _) in enumerate(before)}
    carried = {
        pk
        for rank, (section, pks) in enumerate(layout)
        if rank_before.get(section) != rank
        for pk in pks
    }
    IssueSection.objects.filter(issue=issue).delete()
    IssueSection.objects.bulk_create(
        IssueSection(issue=issue, section_id=section, order=order)
        for order, section in enumerate(sections, start=1)
    )
    return len(carried | {article.pk for article in moving})
