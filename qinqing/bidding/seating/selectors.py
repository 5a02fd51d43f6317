"""Reads of the evaluation day: rooms, seatings, the committee, and the signed-in workstation's
seat."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connections, models
from django.db.models import Count, Q, QuerySet

from qinqing.bidding.models import (
    DrawOutcome,
    EvaluationSession,
    Expert,
    Project,
    Room,
    Seat,
    Seating,
    Section,
    TendererRepresentative,
    Workstation,
)
from qinqing.core.models import Organisation
from qinqing.core.permissions import get_visible_or_404, visible


def my_rooms(*, user) -> QuerySet:
    return visible(user, "bidding.manage_rooms", Room.objects.select_related("centre"))


def room(*, user, pk: int) -> Room:
    return get_visible_or_404(user, "bidding.manage_rooms", Room.objects.all(), pk=pk)


def room_catalogue(*, user) -> list[dict]:
    """Every centre's rooms and workstation counts (read-only; no seat assignments)."""
    qs = visible(
        user,
        "bidding.view_room_catalogue",
        Room.objects.select_related("centre__workstation_numbering").annotate(
            total=Count("workstations"),
            in_service=Count("workstations", filter=Q(workstations__status="in_service")),
        ),
    ).order_by("centre__name", "number")
    centres: dict[int, dict] = {}
    for r in qs:
        entry = centres.setdefault(r.centre_id, {"centre": r.centre, "rooms": []})
        entry["rooms"].append(r)
    return list(centres.values())


def seatings(*, user) -> QuerySet:
    return visible(user, "bidding.seat_experts", Seating.objects.select_related("centre"))


def seating(*, user, pk: int) -> Seating:
    return get_visible_or_404(user, "bidding.seat_experts", Seating.objects.all(), pk=pk)


def seating_board(seating: Seating) -> QuerySet:
    return seating.seats.select_related(
        "workstation__room",
        "outcome__expert",
        "outcome__representative",
        "outcome__session__section__project",
    ).order_by("workstation__code")


# --- the signed-in workstation (every request of an expert at a workstation) --------------

# (model, attribute on its parent in this list, index of the parent, joined by LEFT JOIN):
# the seat with everything the workstation pages, the API and the scoring services read.
_SEAT_GRAPH: tuple[tuple[type[models.Model], str, int | None, bool], ...] = (
    (Seat, "", None, False),
    (Workstation, "workstation", 0, False),
    (Room, "room", 1, False),
    (Seating, "seating", 0, False),
    (Organisation, "centre", 3, False),
    (DrawOutcome, "outcome", 0, False),
    (Expert, "expert", 5, True),  # none for a tenderer's representative
    (get_user_model(), "user", 6, True),
    (EvaluationSession, "session", 5, False),
    (Section, "section", 8, False),
    (Project, "project", 9, False),
    (TendererRepresentative, "representative", 5, True),
)
_seat_sql: dict[str, tuple[str, list[list[str]], list[tuple]]] = {}


def _seat_statement(connection) -> tuple[str, list[list[str]], list[tuple]]:
    """The one SELECT that loads the graph, the field names of each model in order, and the
    converters the ORM would apply to each column (SQLite's dates, JSON, …)."""
    qn = connection.ops.quote_name
    columns, names, joins, converters = [], [], [], []
    for n, (model, attr, parent, outer) in enumerate(_SEAT_GRAPH):
        fields = model._meta.concrete_fields
        columns += [f"t{n}.{qn(f.column)}" for f in fields]
        names.append([f.attname for f in fields])
        for i, f in enumerate(fields, start=len(columns) - len(fields)):
            col = f.get_col(f"t{n}")
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                converters.append((i, col, found))
        if parent is not None:
            fk = _SEAT_GRAPH[parent][0]._meta.get_field(attr)
            kind = "LEFT JOIN" if outer else "JOIN"
            joins.append(
                f"{kind} {qn(model._meta.db_table)} t{n}"
                f" ON t{n}.{qn(model._meta.pk.column)} = t{parent}.{qn(fk.column)}"
            )
    sql = (
        f"SELECT {', '.join(columns)} FROM {qn(Seat._meta.db_table)} t0 {' '.join(joins)}"  # noqa: S608
        f" WHERE t0.{qn('id')} = %s AND t0.{qn('signed_in_at')} IS NOT NULL"
    )
    return sql, names, converters


def signed_in_seat(pk: int) -> Seat | None:
    """The seat of a signed-in expert with its workstation, room, seating and centre, draw
    outcome, expert and user, session, section and project — what `select_related` over those
    relations would load, in one hand-written statement: this runs on every request from a
    workstation, and compiling the ORM's 11-table join cost more than the rest of a sheet
    write. None when the seat does not exist or nobody signed in at it."""
    connection = connections[Seat.objects.db]
    if connection.vendor not in _seat_sql:
        _seat_sql[connection.vendor] = _seat_statement(connection)
    sql, names, converters = _seat_sql[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for i, col, functions in converters:
        for convert in functions:
            values[i] = convert(values[i], col, connection)
    objects: list[models.Model | None] = []
    start = 0
    for (model, attr, parent, _outer), fields in zip(_SEAT_GRAPH, names, strict=True):
        part = values[start : start + len(fields)]
        start += len(fields)
        obj = None if part[0] is None else model.from_db(connection.alias, fields, part)
        objects.append(obj)
        if parent is not None and objects[parent] is not None:
            setattr(objects[parent], attr, obj)
    return objects[0]


def committee_seats(session: EvaluationSession):
    """The committee: experts and the tenderer's representatives signed in at their
    workstations, still confirmed, who declared no ground for recusal (招标投标法 Art.37)."""
    return Seat.objects.filter(
        outcome__session=session,
        outcome__status=DrawOutcome.Status.CONFIRMED,
        signed_in_at__isnull=False,
        declared_at__isnull=False,
    ).select_related("workstation", "outcome__expert", "outcome__representative")
