"""Two issuers revoke one paper pass at once: one revocation is recorded (the row is
locked), the other finds it revoked. Committed data on both databases."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from healthcode.services.organisations.paper_passes import (
    AlreadyRevoked,
    issue_paper_pass,
    revoke_paper_pass,
)
from healthcode.services.shared.env import Env
from healthcode.services.shared.keys import ensure_signing_key, revocation_list
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWorkFactory
from tests.services.conftest import new_account
from tests.services.organisations.conftest import race
from tests.services.organisations.test_paper_passes import _signed


def test_two_issuers_revoking_at_once_record_one_revocation(
    committed: sessionmaker[Session], env: Env
) -> None:
    """The first holds the paper pass's row; the second waits, then finds it revoked."""
    units = UnitOfWorkFactory(committed)
    made_key = False
    try:
        with units() as uow:
            made_key = ensure_signing_key(uow, env.protector, now=env.clock.now())
            account = new_account(uow, env, "13800001111")
            app_id, issuer = _signed(uow, env, account)
            printed = issue_paper_pass(uow, env, issuer, application_id=app_id)
        outcome = race(
            units,
            lambda uow: revoke_paper_pass(
                uow, env, issuer, paper_pass_id=printed.paper_pass_id, reason="遗失"
            ),
            lambda uow: revoke_paper_pass(
                uow, env, issuer, paper_pass_id=printed.paper_pass_id, reason="被盗"
            ),
            AlreadyRevoked,
        )
        assert len(outcome) == 1
        assert isinstance(outcome[0], AlreadyRevoked)
        with units() as uow:
            assert len(revocation_list(uow, since=None)) == 1
    finally:
        with committed.begin() as session:  # the list's entries too, or they outnumber
            session.execute(delete(t.Revocation))  # a later test's revocations
            session.execute(delete(t.ListEntry).where(t.ListEntry.name == "revocations"))
            session.execute(delete(t.ListHead).where(t.ListHead.name == "revocations"))
            session.execute(delete(t.PaperPass))
            if made_key:
                session.execute(delete(t.SigningKey))
