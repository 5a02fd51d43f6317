"""Writes of the evaluation day's places: a centre's workstation prefix, rooms and workstations,
and the seating of confirmed experts (同标不同室)."""

from __future__ import annotations

import re
import secrets
from collections import Counter
from datetime import datetime

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from qinqing.bidding.common import require_kind
from qinqing.bidding.models import (
    CentreNumbering,
    DrawOutcome,
    EvaluationSession,
    InService,
    Room,
    Seat,
    Seating,
    Workstation,
)
from qinqing.bidding.seating import rules
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import Organisation

K = Organisation.Kind


PREFIX_RE = re.compile(r"^[A-Z]{1,3}$")
ROOM_NUMBER_RE = re.compile(r"^[0-9A-Za-z]{1,10}$")
MAX_SEATS_PER_ROOM = 99


def centre_prefix_set(*, actor, centre: Organisation, prefix: str) -> CentreNumbering:
    """A centre's own workstation prefix; fixed once a room exists (codes are printed)."""
    prefix = prefix.strip().upper()
    require_kind(centre, K.TRADING_CENTRE, "centre", "交易中心")
    if not PREFIX_RE.match(prefix):
        raise DomainError("工位编号前缀应为1至3个大写字母", field="prefix")
    if CentreNumbering.objects.filter(prefix=prefix).exclude(centre=centre).exists():
        raise DomainError("该前缀已被其他交易中心使用", field="prefix")
    existing = CentreNumbering.objects.filter(centre=centre).first()
    if existing is not None and existing.prefix != prefix and centre.evaluation_rooms.exists():
        raise ConflictError("已有评标室，不能再修改工位编号前缀")
    with transaction.atomic():
        numbering, _ = CentreNumbering.objects.update_or_create(
            centre=centre, defaults={"prefix": prefix}
        )
        audit_log(
            actor=actor,
            action="numbering.set",
            obj=numbering,
            organisation=centre,
            detail={"prefix": prefix},
        )
    return numbering


def _workstation_code(prefix: str, room: Room, seat: int) -> str:
    return f"{prefix}-{room.number}-{seat:02d}"


def room_add(*, actor, centre: Organisation, number: str, name: str, seats: int) -> Room:
    """A room with workstations 1..seats, numbered `<prefix>-<room>-<seat>` (e.g. H-3-07)."""
    number, name = number.strip(), name.strip()
    numbering = CentreNumbering.objects.filter(centre=centre).first()
    if numbering is None:
        raise DomainError("请先设置本中心的工位编号前缀", field="prefix")
    if not ROOM_NUMBER_RE.match(number):
        raise DomainError("评标室编号应为1至10位字母或数字", field="number")
    if not name:
        raise DomainError("请填写评标室名称", field="name")
    if not 1 <= seats <= MAX_SEATS_PER_ROOM:
        raise DomainError(f"工位数应在 1 至 {MAX_SEATS_PER_ROOM} 之间", field="seats")
    if Room.objects.filter(centre=centre, number=number).exists():
        raise DomainError("本中心已有该编号的评标室", field="number")
    with transaction.atomic():
        room = Room.objects.create(centre=centre, number=number, name=name)
        Workstation.objects.bulk_create(
            [
                Workstation(room=room, seat=n, code=_workstation_code(numbering.prefix, room, n))
                for n in range(1, seats + 1)
            ]
        )
        audit_log(
            actor=actor,
            action="room.add",
            obj=room,
            organisation=centre,
            detail={"number": number, "name": name, "seats": seats},
        )
    return room


def workstation_add(*, actor, room: Room) -> Workstation:
    """One more workstation in a room, with the next seat number."""
    numbering = CentreNumbering.objects.get(centre_id=room.centre_id)
    with transaction.atomic():
        Room.objects.select_for_update().filter(pk=room.pk).first()
        seat = (room.workstations.aggregate(m=Max("seat"))["m"] or 0) + 1
        if seat > MAX_SEATS_PER_ROOM:
            raise DomainError(f"每个评标室最多 {MAX_SEATS_PER_ROOM} 个工位")
        workstation = Workstation.objects.create(
            room=room, seat=seat, code=_workstation_code(numbering.prefix, room, seat)
        )
        audit_log(
            actor=actor,
            action="workstation.add",
            obj=workstation,
            organisation=room.centre,
            detail={"code": workstation.code},
        )
    return workstation


def _upcoming_seats(**lookup):
    return Seat.objects.filter(seating__slot_end__gt=timezone.now(), **lookup)


def _status_check(status: str, reason: str) -> str:
    if status not in InService.values:
        raise DomainError("未知的状态", field="status")
    reason = reason.strip()
    if not reason:
        raise DomainError("请说明变更原因", field="reason")
    return reason


def room_status_set(*, actor, room: Room, status: str, reason: str) -> Room:
    reason = _status_check(status, reason)
    if status == InService.OUT_OF_SERVICE and _upcoming_seats(workstation__room=room).exists():
        raise ConflictError("该评标室已分配给尚未结束的评标，不能停用")
    with transaction.atomic():
        room.status = status
        room.save(update_fields=["status"])
        audit_log(
            actor=actor,
            action="room.set_status",
            obj=room,
            organisation=room.centre,
            detail={"status": status, "reason": reason},
        )
    return room


def workstation_status_set(*, actor, workstation: Workstation, status: str, reason: str):
    reason = _status_check(status, reason)
    if status == InService.OUT_OF_SERVICE and _upcoming_seats(workstation=workstation).exists():
        raise ConflictError("该工位已分配给尚未结束的评标，不能停用")
    with transaction.atomic():
        workstation.status = status
        workstation.save(update_fields=["status"])
        audit_log(
            actor=actor,
            action="workstation.set_status",
            obj=workstation,
            organisation=workstation.room.centre,
            detail={"code": workstation.code, "status": status, "reason": reason},
        )
    return workstation


def seating_assign(
    *, actor, centre: Organisation, slot_start: datetime, slot_end: datetime
) -> Seating:
    """Seat the confirmed, not yet seated experts of every session overlapping the slot whose
    quota is at `centre` (同标不同室: rules.allocate_rooms, then rules.seat_within_rooms).

    Free workstations are those in service, in rooms in service, not held by a seat of an
    overlapping slot at this centre. The seed comes from `secrets` and goes into the audit
    entry with the inputs (committee sizes, room capacities), so the allocation can be
    re-computed. The reported collisions count pairs of one committee sharing a room, among
    everyone seated at this centre for the slot (earlier seatings included).
    """
    if slot_end <= slot_start:
        raise DomainError("时段结束时间必须晚于开始时间", field="slot_end")
    overlapping = {"session__starts_at__lt": slot_end, "session__ends_at__gt": slot_start}
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=centre.pk).first()
        outcomes = list(
            DrawOutcome.objects.filter(
                Q(draw__quota__centre=centre)
                # the tenderer's representatives sit at the host centre, dispersed like members
                | Q(draw__isnull=True, session__host_centre=centre),
                status=DrawOutcome.Status.CONFIRMED,
                seat__isnull=True,
                **overlapping,
            )
            .exclude(session__status=EvaluationSession.Status.CLOSED)
            .select_related("expert", "representative")
            .order_by("session_id", "draw_id", "position")
        )
        if not outcomes:
            raise DomainError("该时段本中心没有待分配工位的已确认专家", field="slot_start")
        held = Seat.objects.filter(
            seating__centre=centre,
            seating__slot_start__lt=slot_end,
            seating__slot_end__gt=slot_start,
        )
        free = (
            Workstation.objects.filter(
                room__centre=centre,
                room__status=InService.IN_SERVICE,
                status=InService.IN_SERVICE,
            )
            .exclude(pk__in=held.values("workstation_id"))
            .select_related("room")
        )
        seats_by_room: dict[str, list[str]] = {}
        by_code: dict[str, Workstation] = {}
        for workstation in free:
            seats_by_room.setdefault(workstation.room.number, []).append(workstation.code)
            by_code[workstation.code] = workstation
        committees: dict[str, list[DrawOutcome]] = {}
        for outcome in outcomes:
            committees.setdefault(str(outcome.session_id), []).append(outcome)
        counts = {c: len(members) for c, members in committees.items()}
        capacities = {room: len(codes) for room, codes in seats_by_room.items()}
        # Members seated earlier in the slot (a replacement joins a committee already seated):
        # the allocation keeps the newcomers out of their committee's rooms too.
        seated: dict[str, list[str]] = {}
        for session_id, room_number in held.filter(
            outcome__status=DrawOutcome.Status.CONFIRMED
        ).values_list("outcome__session_id", "workstation__room__number"):
            seated.setdefault(str(session_id), []).append(room_number)
        occupied = {
            c: dict(sorted(Counter(seated[c]).items())) for c in sorted(counts) if c in seated
        }
        seed = secrets.token_bytes(32)
        try:
            rooms = rules.allocate_rooms(counts, capacities, seed, occupied=occupied)
            codes = rules.seat_within_rooms(rooms, seats_by_room, seed)
        except rules.RuleError as exc:
            raise DomainError(str(exc), field="slot_start") from None
        # Everyone at this centre in the slot, with earlier seatings, for the collision count.
        combined = {c: list(r) for c, r in rooms.items()}
        for session_id, room_numbers in seated.items():
            combined.setdefault(session_id, []).extend(room_numbers)
        collisions = rules.collision_pairs(combined)
        seating = Seating.objects.create(
            centre=centre,
            slot_start=slot_start,
            slot_end=slot_end,
            seed_hex=seed.hex(),
            collisions=collisions,
            by=actor if getattr(actor, "is_authenticated", False) else None,
            at=timezone.now(),
        )
        Seat.objects.bulk_create(
            [
                Seat(seating=seating, outcome=outcome, workstation=by_code[code])
                for committee, members in committees.items()
                for outcome, code in zip(members, codes[committee], strict=True)
            ]
        )
        audit_log(
            actor=actor,
            action="seating.assign",
            obj=seating,
            organisation=centre,
            detail={
                "seed": seed.hex(),
                "slot": [slot_start, slot_end],
                "committees": counts,
                "rooms": capacities,
                "occupied": occupied,
                "experts": len(outcomes),
                "collisions": collisions,
            },
        )
    return seating
