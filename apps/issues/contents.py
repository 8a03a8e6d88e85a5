from itertools import groupby


def by_section(articles):
    """Group articles (already ordered by section, then position) into (section, [articles])."""
    return [(section, list(items)) for section, items in groupby(articles, key=lambda a: a.section)]
