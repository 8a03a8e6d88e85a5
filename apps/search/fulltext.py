"""The two backends' full-text SQL, behind one lookup and one expression.

SQLite: an FTS5 table queried with MATCH and ranked by its bm25 `rank`. PostgreSQL: a
GIN-indexed tsvector queried with @@ and ranked with ts_rank_cd. Callers only write
`search_document__title__matches=terms` and `Relevance(terms)`.
"""

from django.db.models import F, FloatField, Func, Lookup, TextField


class FullTextField(TextField):
    """A column of the full-text table; `matches` looks in the whole document."""


@FullTextField.register_lookup
class MatchesAll(Lookup):
    """`search_document__title__matches=[terms]`: the document contains every term."""

    lookup_name = "matches"

    def as_sqlite(self, compiler, connection):
        # FTS5 matches against its hidden column named like the table, whatever the alias.
        table = compiler.quote_name_unless_alias(self.lhs.alias)
        hidden = connection.ops.quote_name(self.lhs.target.model._meta.db_table)
        return f"{table}.{hidden} MATCH %s", [_fts5_query(self.rhs)]

    def as_postgresql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(self.lhs.alias)
        return f"{table}.document @@ to_tsquery('simple', %s)", [_tsquery(self.rhs)]

    def get_db_prep_lookup(self, value, connection):
        return ("%s", [value])

    def get_prep_lookup(self):
        return self.rhs


class Relevance(Func):
    """How well a matched document fits the query; higher is better on both backends."""

    output_field = FloatField()

    def __init__(self, terms):
        super().__init__(F("search_document__title"))
        self.terms = terms

    def as_sqlite(self, compiler, connection, **extra):
        table = compiler.quote_name_unless_alias(self.source_expressions[0].alias)
        return f"(-{table}.rank)", []

    def as_postgresql(self, compiler, connection, **extra):
        table = compiler.quote_name_unless_alias(self.source_expressions[0].alias)
        sql = f"ts_rank_cd({table}.document, to_tsquery('simple', %s))"
        return sql, [_tsquery(self.terms)]


def _fts5_query(terms):
    # Each term is a quoted string: FTS5 operators and punctuation in it stay literal.
    return " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _tsquery(terms):
    return " & ".join("'" + term.replace("\\", "").replace("'", "''") + "'" for term in terms)
