"""The daily health report (每日健康上报 / 打卡).

Once a day under a pass policy (seed 000 §四.一); any number of times under the
health code, so employers' morning and evening check-ins (seed 003 §三) both count.
A report is a health fact for every code the resident holds, so all are recoloured.
"""

from __future__ import annotations

import uuid

from healthcode.domain.clock import day_of, local
from healthcode.domain.colour import Colour
from healthcode.domain.errors import Conflict
from healthcode.domain.i18n import N_
from healthcode.domain.state import State
from healthcode.services.codes.recolour import Cause, recolour
from healthcode.services.residents.inputs import DailyReportInput
from healthcode.services.residents.validation import Collector, check_health, dump_health
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


class DeclareFirst(Conflict):
    code = "declare_first"


class NotSignedYet(Conflict):
    """The pass awaits its signature: there is no colour yet for a report to keep."""

    code = "not_signed_yet"


class AlreadyReported(Conflict):
    code = "already_reported_today"


class PassLapsed(Conflict):
    """The pass ended: a report no longer keeps it, applying again does (seed 000:
    健康通行卡已过期、需重新申报)."""

    code = "pass_lapsed"


def submit_daily_report(
    uow: UnitOfWork,
    env: Env,
    *,
    resident_id: uuid.UUID | None,
    policy_id: str,
    data: DailyReportInput,
) -> State:
    policy = env.policies.find(policy_id)
    if resident_id is not None:  # first, as every write that recolours does
        uow.residents.lock(resident_id)
    now = env.clock.now()
    today = day_of(now)
    codes = uow.codes.all_of_resident(resident_id, lock=True) if resident_id else ()
    code = next((c for c in codes if c.policy_id == policy.id), None)
    if resident_id is None or code is None or code.colour == Colour.NONE.value:
        raise DeclareFirst(
            N_("Please declare first; the daily report keeps an existing code up to date")
        )
    if not Colour(code.colour).signed:
        raise NotSignedYet(N_("Your pass is not signed yet; daily reports start once it is signed"))
    if code.valid_until is not None and code.valid_until <= now:  # State.lapsed, at its instant
        until = local(code.valid_until).strftime("%Y-%m-%d %H:%M")
        raise PassLapsed(
            N_("The pass ended at {until}; a daily report no longer keeps it: apply again"),
            until=until,
        )
    c = Collector()
    if data.temperature is None:
        c.add("temperature", "required", N_("Please enter today's temperature"))
    data = check_health(c, data, policy, today)
    c.done()
    limit = policy.form.reports_per_day
    if limit is not None and uow.daily_reports.count_on(resident_id, policy.id, today) >= limit:
        raise AlreadyReported(N_("You have already reported today; report again tomorrow"))
    uow.add(
        t.DailyReport(
            resident_id=resident_id,
            policy_id=policy.id,
            reported_at=now,
            day=today,
            temperature=data.temperature,
            **dump_health(data),
        )
    )
    uow.flush()
    states = {
        other.policy_id: recolour(
            uow,
            env,
            resident_id=resident_id,
            policy=env.policies.find(other.policy_id),
            cause=Cause.DAILY_REPORT,
        )
        for other in codes
        if other.policy_id in env.policies
    }
    return states[policy.id]
