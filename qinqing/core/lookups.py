"""`field__any_of=Ids([...])`: membership in a long list of integer ids as ONE parameter.

`__in` with thousands of ids costs Django a resolution step per value, psycopg a type check
per value and SQLite a variable per value (it has a limit). This lookup sends the ids as one
PostgreSQL array literal (`= ANY(%s::bigint[])`) or one JSON array read by SQLite's
`json_each`. Wrapping the list in `Ids` keeps Django from walking it element by element.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db.models import Field, ForeignKey, Lookup


class Ids:
    __slots__ = ("values",)

    def __init__(self, values: Iterable[int]):
        self.values = [int(v) for v in values]


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        if not isinstance(self.rhs, Ids):
            raise TypeError("any_of expects qinqing.core.lookups.Ids")
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = self.rhs.values
        if connection.vendor == "postgresql":
            literal = "{" + ",".join(map(str, values)) + "}"
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, literal]
        # `lhs` is the compiled column reference, never user input.
        sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608
        return sql, [*lhs_params, json.dumps(values)]


Field.register_lookup(AnyOf)
ForeignKey.register_lookup(AnyOf)


def int_or_404(value) -> int:
    """A primary key taken from a request: a malformed one is a 404, never a 500."""
    from django.http import Http404

    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None
