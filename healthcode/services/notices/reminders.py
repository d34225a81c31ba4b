"""The reminders a job sends: a pass about to lapse, a daily report not yet in.

Each reminder has a key (the pass and its end; the resident, code and day), so a
second run, or two runs at once, send it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta

from healthcode.domain.clock import day_of, local, start_of
from healthcode.domain.policy import Model, pass_valid_until
from healthcode.services.notices.events import notify
from healthcode.services.notices.texts import Kind
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

BATCH = 200


def _pass_policies(env: Env) -> list[str]:
    return [p.id for p in env.policies.values() if p.model is Model.PASS]


def _each(
    page: Callable[[uuid.UUID | None], Sequence[t.Code]], send: Callable[[t.Code], bool]
) -> int:
    sent, after = 0, None
    while True:
        codes = page(after)
        sent += sum(send(code) for code in codes)
        if len(codes) < BATCH:
            return sent
        after = codes[-1].id


def remind_lapsing(uow: UnitOfWork, env: Env) -> int:
    """Tell residents whose green pass ends within ``notify_lapse_hours``, from
    ``notify_lapse_hour`` (Asia/Shanghai): every pass ends at midnight, so with the
    window alone every reminder went out at 00:00. From then on a new application
    is taken (``declarations.refuse_while_green``), as the reminder asks."""
    now = env.clock.now()
    if local(now).hour < env.settings.notify_lapse_hour:
        return 0
    end = now + timedelta(hours=env.settings.notify_lapse_hours)
    policies = _pass_policies(env)

    def send(code: t.Code) -> bool:
        assert code.valid_until is not None
        until = code.valid_until.isoformat()
        return bool(
            notify(
                uow,
                env,
                kind=Kind.PASS_LAPSING,
                params={"policy": code.policy_id, "until": until},
                resident_id=code.resident_id,
                dedup_key=f"lapsing:{code.id}:{until}",
            )
        )

    return _each(
        lambda after: uow.codes.lapsing(policies, now, end, limit=BATCH, after=after), send
    )


def remind_report_due(uow: UnitOfWork, env: Env) -> int:
    """From ``notify_report_hour`` (Asia/Shanghai), tell residents holding a valid
    green pass whose report is due today and not in: once a day. Due as the engine
    has it (``_signed_pass``): not on the signing day, and an application that day
    counts. Until stop 30 it went to those signed that day, and to those who had
    applied or reported under another code, saying the pass would turn yellow."""
    now = env.clock.now()
    if local(now).hour < env.settings.notify_report_hour:
        return 0
    today = day_of(now)
    signed_before = {  # the end of a pass signed today
        p.id: pass_valid_until(p, now) for p in env.policies.values() if p.model is Model.PASS
    }
    day = (today, start_of(today), start_of(today + timedelta(days=1)))

    def send(code: t.Code) -> bool:
        return bool(
            notify(
                uow,
                env,
                kind=Kind.REPORT_DUE,
                params={"policy": code.policy_id, "day": today.isoformat()},
                resident_id=code.resident_id,
                dedup_key=f"report_due:{code.resident_id}:{code.policy_id}:{today.isoformat()}",
            )
        )

    return _each(
        lambda after: uow.codes.without_report(signed_before, now, day, limit=BATCH, after=after),
        send,
    )
