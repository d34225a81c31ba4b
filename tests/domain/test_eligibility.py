"""What the pass form warns about (issue 9, item 11), read from the policy file; days
counted as DaysAfter counts them (the date's own day is not counted)."""

from __future__ import annotations

from datetime import date, timedelta

from healthcode.domain.eligibility import date_requirements, unmet
from healthcode.policies import builtin_policy


def test_the_residence_rule_gives_field_days_and_words() -> None:
    (req,) = date_requirements(builtin_policy("shandong-pass"))
    assert (req.field, req.days, req.rule_id) == ("residence_since", 14, "SD-SCOPE-RESIDENCE")
    assert req.reason["zh"] == "您在山东省境内连续居住未满14天。"
    assert date_requirements(builtin_policy("binzhou-code")) == ()


def test_fourteen_full_days_after_the_date_meet_it() -> None:
    policy, today = builtin_policy("shandong-pass"), date(2020, 3, 1)
    enough = today - timedelta(days=15)  # 14 full days after it have passed
    assert unmet(policy, {"residence_since": enough}, today) == ()
    assert len(unmet(policy, {"residence_since": enough + timedelta(days=1)}, today)) == 1
    assert unmet(policy, {"residence_since": None}, today) == ()
