"""The two backends' full-text SQL, behind one lookup and one expression.

Each document has two indexed forms (apps/search/segmenter.py): its words, which rank, and its
bigram stream, which finds any substring of two characters or more. A query group matches
when all its words occur or all its phrases occur; exclusions are phrases that must not.

SQLite: one FTS5 table; the query is a single MATCH expression with column filters, ranked by
bm25 (`rank`). PostgreSQL: two GIN-indexed tsvectors (`document`, `grams`) queried with @@ and
phrase operators (<->), ranked with ts_rank_cd on the vector each part matched with. Callers
only write `search_document__title__matches=query` (on articles) and `Relevance(query)` (on
SearchDocument, which the ranking reads alone).
"""

from django.db.models import F, FloatField, Func, Lookup, TextField

WORD_COLUMNS = "{title content}"
GRAM_COLUMNS = "{gram_title gram_content}"


class FullTextField(TextField):
    """A column of the full-text table; `matches` looks in the whole document."""


@FullTextField.register_lookup
class MatchesAll(Lookup):
    """`search_document__title__matches=query`: the document answers a parsed Query."""

    lookup_name = "matches"
    # Where to look: FTS5 column sets on SQLite, tsvector columns on PostgreSQL.
    fts5_columns = (WORD_COLUMNS, GRAM_COLUMNS)
    pg_columns = ("document", "grams")

    def as_sqlite(self, compiler, connection):
        # FTS5 matches against its hidden column named like the table, whatever the alias.
        table = compiler.quote_name_unless_alias(self.lhs.alias)
        hidden = connection.ops.quote_name(self.lhs.target.model._meta.db_table)
        words, grams = self.fts5_columns
        expression = fts5_query(self.rhs, words=words, grams=grams)
        return f"{table}.{hidden} MATCH %s", [expression]

    def as_postgresql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(self.lhs.alias)
        words, grams = self.pg_columns
        clauses, params = [], []
        for group in self.rhs.groups:
            branches = [f"{table}.{grams} @@ to_tsquery('simple', %s)"]
            params_group = [_ts_phrases(group.phrases)]
            if group.match_words:
                branches.append(f"{table}.{words} @@ to_tsquery('simple', %s)")
                params_group.append(_ts_words(group.match_words, "&"))
            clauses.append("(" + " OR ".join(branches) + ")")
            params += params_group
        for group in self.rhs.excluded:
            # An exclusion looks in the whole document, wherever the query looks.
            clauses.append(f"NOT ({table}.grams @@ to_tsquery('simple', %s))")
            params.append(_ts_phrases(group.phrases))
        return "(" + " AND ".join(clauses) + ")", params

    def get_db_prep_lookup(self, value, connection):
        return ("%s", [value])

    def get_prep_lookup(self):
        return self.rhs


@FullTextField.register_lookup
class MatchesInTitle(MatchesAll):
    """`search_document__title__matches_title=query`: every part of the query is in the title.

    Exclusions still look in the whole document. On PostgreSQL the parts are looked up in the
    titles' small tsvectors, so it stays cheap however many documents match.
    """

    lookup_name = "matches_title"
    fts5_columns = ("{title}", "{gram_title}")
    pg_columns = ("title_document", "title_grams")


class Relevance(Func):
    """How well a matched document fits the query; higher is better on both backends."""

    output_field = FloatField()

    def __init__(self, query):
        # Annotated on SearchDocument: the ranking reads the full-text table alone.
        super().__init__(F("title"))
        self.query = query

    def as_sqlite(self, compiler, connection, **extra):
        table = compiler.quote_name_unless_alias(self.source_expressions[0].alias)
        return f"(-{table}.rank)", []

    def as_postgresql(self, compiler, connection, **extra):
        # Each part is ranked on the vector it was matched with: its words, when they match on
        # their own, else its bigram phrases. One ts_rank per vector (usually one in all): it
        # reads the whole vector, and the candidates are hundreds.
        table = compiler.quote_name_unless_alias(self.source_expressions[0].alias)
        words = self.query.match_words
        phrases = [p for group in self.query.groups if not group.match_words for p in group.phrases]
        ranks, params = [], []
        if words:
            ranks.append(f"ts_rank_cd({table}.document, to_tsquery('simple', %s))")
            params.append(_ts_words(words, "|"))
        if phrases:
            ranks.append(f"ts_rank_cd({table}.grams, to_tsquery('simple', %s))")
            params.append(" | ".join(f"({_ts_phrase(p)})" for p in phrases))
        return "(" + " + ".join(ranks) + ")", params


def fts5_query(query, *, words=WORD_COLUMNS, grams=GRAM_COLUMNS) -> str:
    """Return the FTS5 MATCH expression for a parsed Query (every token a quoted string)."""
    groups = []
    for group in query.groups:
        branches = [f"{grams} : ({_fts5_phrases(group.phrases)})"]
        if group.match_words:
            terms = " AND ".join(_fts5_string(w) for w in group.match_words)
            branches.append(f"{words} : ({terms})")
        groups.append("(" + " OR ".join(branches) + ")")
    expression = "(" + " AND ".join(groups) + ")"
    if query.excluded:
        excluded = " OR ".join(f"({_fts5_phrases(g.phrases)})" for g in query.excluded)
        expression += f" NOT ({GRAM_COLUMNS} : ({excluded}))"
    return expression


def _fts5_phrases(phrases):
    return " AND ".join(
        " + ".join(_fts5_string(t) for t in p.tokens) + (" *" if p.prefix else "") for p in phrases
    )


def _fts5_string(token):
    # A quoted string: FTS5 operators and punctuation in it stay literal.
    return '"' + token.replace('"', '""') + '"'


def _ts_phrases(phrases):
    return " & ".join(f"({_ts_phrase(p)})" for p in phrases)


def _ts_phrase(phrase):
    tokens = [_ts_string(t) for t in phrase.tokens]
    if phrase.prefix:
        tokens[-1] += ":*"
    return " <-> ".join(tokens)


def _ts_words(words, operator):
    return f" {operator} ".join(_ts_string(w) for w in words)


def _ts_string(term):
    return "'" + term.replace("\\", "").replace("'", "''") + "'"
