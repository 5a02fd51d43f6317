"""`field__any_of=[...]`: membership in a long list of values as ONE query parameter.

`__in` with thousands of ids costs Django a preparation step per value and SQLite a variable
per value (it has a limit). This lookup sends the list as a PostgreSQL array (`= ANY(%s)`) or
a JSON array read by SQLite's `json_each`.
"""

from __future__ import annotations

import json

from django.db.models import Field, ForeignKey, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        # `lhs` is the compiled column reference, never user input.
        sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608
        return sql, [*lhs_params, json.dumps(values)]


Field.register_lookup(AnyOf)
ForeignKey.register_lookup(AnyOf)
