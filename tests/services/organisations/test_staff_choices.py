"""What the staff forms offer as where a role is held: the organisations in the
administrator's scope, or those a search names (both databases)."""

from __future__ import annotations

from healthcode.services.organisations.staff_choices import scope_choices
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.factories.organisations import organisation
from tests.factories.roster import region_admin


def offered(uow: UnitOfWork, env: Env, matching: str = "") -> list[str]:
    who = region_admin(uow, env, "371602")
    return [c.name for c in scope_choices(uow, who, matching=matching) if c.kind == "organisation"]


def test_a_search_finds_organisations_by_name_and_codes_and_only_those(
    uow: UnitOfWork, env: Env
) -> None:
    organisation(uow, env, name="黄河五路社区居民委员会")
    organisation(uow, env, name="渤海十路社区居民委员会")
    organisation(uow, env, name="100%_社区", region="371621")  # another county: not offered

    assert sorted(offered(uow, env)) == ["渤海十路社区居民委员会", "黄河五路社区居民委员会"]
    assert offered(uow, env, "黄河") == ["黄河五路社区居民委员会"]
    assert sorted(offered(uow, env, "3716")) == sorted(offered(uow, env))  # its region code
    assert offered(uow, env, "%") == []  # a wildcard is a character, not everything
    assert offered(uow, env, "_") == []
    assert offered(uow, env, "  黄河 ") == ["黄河五路社区居民委员会"]
