"""What the desk's rows show beside their lead clipping, loaded for a page in three queries.

The desk lists one row per story. Each row names the story's reprints, says whether one of them
was used, shows the watch words any of them mentions, and the lead's industries. They are read
as plain values, not as model instances with related managers: building those for every member
of fifty stories cost more than the rest of the list (see `make bench`, part `intake`).
"""

from dataclasses import dataclass, field

from django.db import models

from apps.intake.models import Clipping


@dataclass(frozen=True)
class Member:
    """One clipping of a row's story, as the row shows it."""

    pk: int
    source_name: str
    article_id: int | None
    words: list[str] = field(default_factory=list)


def load(leads: list[Clipping]) -> None:
    """Set `desk_story` (the story's members, earliest first) and `desk_industry_names` on
    each of `leads`."""
    story_ids = {lead.story_id for lead in leads}
    members: dict[int, list[Member]] = {story: [] for story in story_ids}
    by_pk: dict[int, Member] = {}
    rows = (
        Clipping.objects.filter(story_id__in=story_ids)
        .order_by(models.F("published_at").asc(nulls_last=True), "pk")
        .values_list("pk", "story_id", "source_name", "article_id")
    )
    for pk, story, source_name, article_id in rows:
        member = Member(pk, source_name, article_id)
        members[story].append(member)
        by_pk[pk] = member
    mentions = (
        Clipping.watch_words.through.objects.filter(clipping__story_id__in=story_ids)
        .order_by("watchword__word")
        .values_list("clipping_id", "watchword__word")
    )
    for clipping_id, word in mentions:
        if clipping_id in by_pk:  # not a clipping stored since the members were read
            by_pk[clipping_id].words.append(word)
    industries: dict[int, list[str]] = {lead.pk: [] for lead in leads}
    tagged = (
        Clipping.industries.through.objects.filter(clipping_id__in=industries)
        .order_by("industry__group__order", "industry__order", "industry_id")
        .values_list("clipping_id", "industry__name")
    )
    for clipping_id, name in tagged:
        industries[clipping_id].append(name)
    for lead in leads:
        lead.desk_story = members[lead.story_id]
        lead.desk_industry_names = industries[lead.pk]
