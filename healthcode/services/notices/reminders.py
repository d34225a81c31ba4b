"""The reminders a job sends: a pass about to lapse, a daily report not yet in.

Each reminder has a key (the pass and its end; the resident, code and day), so a
second run, or two runs at once, send it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta

from healthcode.domain.clock import day_of, local
from healthcode.domain.policy import Model
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
    """Tell residents whose green pass ends within ``notify_lapse_hours``."""
    now = env.clock.now()
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
    green pass who have not sent today's daily report: once a day."""
    now = env.clock.now()
    if local(now).hour < env.settings.notify_report_hour:
        return 0
    today = day_of(now)
    policies = _pass_policies(env)

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
        lambda after: uow.codes.without_report(policies, now, today, limit=BATCH, after=after), send
    )
