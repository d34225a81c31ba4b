"""Consecutive normal days, as seed 003 counts them.

"红码、黄码人员须连续14天登记健康信息结果为正常才能转为绿码": a red or yellow code
turns green after 14 consecutive calendar days of normal health registration after
the day the condition was last seen. A missed or abnormal day restarts the count;
today counts once it is reported, and an unreported today does not break the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Streak:
    completes_on: date  # the day the run reaches its length (actual or projected)
    complete: bool
    run: int  # normal days counted so far in the current run


def normal_streak(
    day_status: Mapping[date, bool], *, trigger: date, needed: int, today: date
) -> Streak:
    """Find the first run of `needed` normal days after `trigger`.

    `day_status` maps each day that has reports to True when all of them were normal.
    If the run is not complete, `completes_on` projects it assuming every day from
    today on is reported normal.
    """
    run_start = trigger + ONE_DAY
    day = run_start
    while day <= today:
        status = day_status.get(day)
        if status is True:
            if (day - run_start).days + 1 >= needed:
                return Streak(day, True, needed)
        elif status is None and day == today:
            break
        else:
            run_start = day + ONE_DAY
        day += ONE_DAY
    end = today if day_status.get(today) is None else today + ONE_DAY
    run = max(0, (end - run_start).days)
    return Streak(run_start + timedelta(days=needed - 1), needed == 0, run)
