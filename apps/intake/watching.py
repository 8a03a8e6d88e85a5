"""Watch words (监测词): which of them a clipping mentions."""

from apps.intake.models import WatchWord


class WatchList:
    """The active watch words, read once and matched against many texts."""

    def __init__(self, words: list[WatchWord]):
        # Longest first, so that a word inside a longer one is still found on its own.
        self.words = sorted(words, key=lambda w: -len(w.word))

    @classmethod
    def load(cls) -> "WatchList":
        return cls(list(WatchWord.objects.filter(active=True)))

    def found_in(self, *texts: str) -> list[WatchWord]:
        joined = "\n".join(texts).casefold()
        return [w for w in self.words if w.word.casefold() in joined]
