"""Printed paper passes: issued after signing by an issuer in scope, read back from the
rasterised PDF, verified like the screen code, revoked by the issuer or by the code."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.domain.tokens import Purpose, Refusal
from healthcode.jobs.rollover import rollover
from healthcode.services.accounts.permissions import Principal
from healthcode.services.codes import paper_passes as paper
from healthcode.services.codes.health_codes import verify_code
from healthcode.services.codes.paper_pdf import FontMissing, find_cjk_font
from healthcode.services.codes.recolour import current_state
from healthcode.services.organisations.paper_passes import (
    AlreadyRevoked,
    NotSigned,
    issue_paper_pass,
    list_paper_passes,
    revoke_paper_pass,
)
from healthcode.services.shared.env import Env
from healthcode.services.shared.keys import revocation_list, rotate_keys
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import id_number
from tests.factories.organisations import issuer_for, sign_as_issuer
from tests.factories.paper import pdf_text, read_paper_qr
from tests.factories.units import SameUnit
from tests.services.conftest import declare
from tests.services.organisations.review import community

pytestmark = pytest.mark.usefixtures("signing_key")
NUMBER = id_number()


def _signed(
    uow: UnitOfWork, env: Env, account: t.Account, colour: Colour = Colour.GREEN
) -> tuple[uuid.UUID, Principal]:
    state = declare(uow, env, account, "shandong-pass", id_number=NUMBER)
    assert state.application_id
    app_id = uuid.UUID(state.application_id)
    issuer = issuer_for(uow, env, app_id)
    note = "" if colour is Colour.GREEN else "视频中未见体温计读数"
    sign_as_issuer(uow, env, app_id, colour, note, issuer=issuer)
    return app_id, issuer


class TestIssue:
    def test_the_printed_qr_verifies_like_the_screen_code(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        app_id, issuer = _signed(uow, env, account)
        printed = issue_paper_pass(uow, env, issuer, application_id=app_id)
        text = read_paper_qr(printed.pdf)
        assert text == printed.token
        result = verify_code(uow, env, text=text)
        assert result.ok, result.reason
        assert result.claims is not None
        assert result.claims.purpose is Purpose.PAPER
        assert result.claims.colour is Colour.GREEN
        assert result.claims.expires_at == printed.valid_until  # lives until the pass ends
        words = pdf_text(printed.pdf)
        # the pass's own words (policy labels), as /verify says; until stop 44 "绿码"
        assert "绿色健康通行卡（通行）" in words
        assert "绿码" not in words
        assert account.resident_id is not None
        resident = uow.residents.by_id(account.resident_id)
        assert resident is not None
        assert resident.name_masked in words
        assert resident.id_masked in words
        assert resident.name not in words

    def test_a_yellow_pass_prints_yellow(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        app_id, issuer = _signed(uow, env, account, Colour.YELLOW)
        printed = issue_paper_pass(uow, env, issuer, application_id=app_id)
        assert printed.colour is Colour.YELLOW
        assert "黄色健康通行卡（待行）" in pdf_text(printed.pdf)

    def test_recorded_and_listed(self, uow: UnitOfWork, env: Env, account: t.Account) -> None:
        app_id, issuer = _signed(uow, env, account)
        printed = issue_paper_pass(uow, env, issuer, application_id=app_id)
        [listed] = list_paper_passes(uow, env, issuer, application_id=app_id)
        assert listed.paper_pass_id == printed.paper_pass_id
        assert listed.standing(env.clock.now())
        actions = [e.action for e in uow.session.query(t.AuditEvent).all()]
        assert "paper_pass.issued" in actions

    def test_a_reprint_revokes_the_card_printed_before(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        """Four prints at once left four valid cards (found by probing): a lost card
        stayed valid beside its replacement. One card is in a person's hand."""
        app_id, issuer = _signed(uow, env, account)
        first = issue_paper_pass(uow, env, issuer, application_id=app_id)
        second = issue_paper_pass(uow, env, issuer, application_id=app_id)
        now = env.clock.now()
        printed = list_paper_passes(uow, env, issuer, application_id=app_id)
        assert [p.paper_pass_id for p in printed if p.standing(now)] == [second.paper_pass_id]
        assert not verify_code(uow, env, text=first.token).ok
        assert verify_code(uow, env, text=second.token).ok

    def test_not_before_signing(self, uow: UnitOfWork, env: Env, account: t.Account) -> None:
        state = declare(uow, env, account, "shandong-pass", temperature=36.5)
        assert state.application_id
        app_id = uuid.UUID(state.application_id)
        with pytest.raises(NotSigned):
            issue_paper_pass(uow, env, issuer_for(uow, env, app_id), application_id=app_id)

    def test_an_issuer_out_of_scope_finds_nothing(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        app_id, issuer = _signed(uow, env, account)
        stranger = community(uow, env, region="370102").issuer
        with pytest.raises(NotFound):
            issue_paper_pass(uow, env, stranger, application_id=app_id)
        printed = issue_paper_pass(uow, env, issuer, application_id=app_id)
        with pytest.raises(NotFound):
            revoke_paper_pass(
                uow, env, stranger, paper_pass_id=printed.paper_pass_id, reason="丢失"
            )
        with pytest.raises(NotFound):
            list_paper_passes(uow, env, stranger, application_id=app_id)


class TestRevoke:
    def test_revoked_by_the_issuer_is_refused_and_listed(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        app_id, issuer = _signed(uow, env, account)
        printed = issue_paper_pass(uow, env, issuer, application_id=app_id)
        with pytest.raises(InvalidInput) as error:
            revoke_paper_pass(uow, env, issuer, paper_pass_id=printed.paper_pass_id, reason=" ")
        assert error.value.errors[0].field == "reason"
        record = revoke_paper_pass(
            uow, env, issuer, paper_pass_id=printed.paper_pass_id, reason="居民报告卡片丢失"
        )
        assert record.revoke_reason == "居民报告卡片丢失"
        result = verify_code(uow, env, text=read_paper_qr(printed.pdf))
        assert result.reason is Refusal.REVOKED
        token_ids = [r.token_id for r in revocation_list(uow, since=None)]
        assert len(token_ids) == 1
        assert token_ids[0].hex().upper().startswith(record.token_ref)
        with pytest.raises(AlreadyRevoked):
            revoke_paper_pass(uow, env, issuer, paper_pass_id=printed.paper_pass_id, reason="再次")

    def test_unknown_paper_pass(self, uow: UnitOfWork, env: Env, account: t.Account) -> None:
        _app_id, issuer = _signed(uow, env, account)
        with pytest.raises(NotFound):
            revoke_paper_pass(uow, env, issuer, paper_pass_id=uuid.uuid4(), reason="丢失")

    def test_a_new_signed_application_revokes_the_old_paper(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        # A yellow pass (more information needed) may be applied for again, later.
        app_id, issuer = _signed(uow, env, account, Colour.YELLOW)
        printed = issue_paper_pass(uow, env, issuer, application_id=app_id)
        clock.advance(timedelta(minutes=5))
        again = declare(uow, env, account, "shandong-pass", id_number=NUMBER)
        assert again.under_review
        assert again.application_id == str(app_id)
        # While the new application waits, the signed pass and its paper still count.
        assert verify_code(uow, env, text=printed.token).ok
        sign_as_issuer(uow, env, uuid.UUID(again.under_review), Colour.GREEN, issuer=issuer)
        result = verify_code(uow, env, text=printed.token)
        assert result.reason is Refusal.REVOKED
        [row] = list_paper_passes(uow, env, issuer, application_id=app_id)
        assert row.revoke_reason == paper.SUPERSEDED

    def test_a_worse_colour_revokes_the_paper(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        app_id, issuer = _signed(uow, env, account)
        printed = issue_paper_pass(uow, env, issuer, application_id=app_id)
        assert account.resident_id is not None
        # A missed daily report turns the pass yellow (seed 000), worse than the paper's green.
        clock.advance(timedelta(days=2))
        state = current_state(
            uow, env, resident_id=account.resident_id, policy=env.policies.find("shandong-pass")
        )
        assert state.colour is Colour.YELLOW
        assert verify_code(uow, env, text=printed.token).reason is Refusal.REVOKED
        [row] = list_paper_passes(uow, env, issuer, application_id=app_id)
        assert row.revoke_reason == paper.COLOUR_WORSE

    def test_the_rollover_revokes_the_paper_of_a_pass_it_turns_yellow(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        """A pass on paper is never moved along its states ahead in SQL (on
        PostgreSQL): the rollover's engine path checks the paper against the new
        colour."""
        app_id, issuer = _signed(uow, env, account)
        printed = issue_paper_pass(uow, env, issuer, application_id=app_id)
        clock.advance(timedelta(days=2))
        done = rollover(SameUnit(uow), env)  # type: ignore[arg-type]
        assert (done.changed, done.advanced) == (1, 0)
        assert verify_code(uow, env, text=printed.token).reason is Refusal.REVOKED
        [row] = list_paper_passes(uow, env, issuer, application_id=app_id)
        assert row.revoke_reason == paper.COLOUR_WORSE


class TestRetiringTheirKey:
    """Retiring a key voids every card it signed (``key_retired`` at any scanner) while
    the issuers' lists still show them standing: until stop 44 nothing said so."""

    def test_refused_while_standing_cards_were_signed_by_it(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        app_id, issuer = _signed(uow, env, account)
        printed = issue_paper_pass(uow, env, issuer, application_id=app_id)
        kid = env.keys.signer(uow, env.protector, env.clock.now()).kid
        assert _row(uow, printed.paper_pass_id).kid == kid
        with pytest.raises(paper.PaperPassesStanding) as refused:
            paper.retire_signing_key(uow, env, kid=kid, force=False)
        assert refused.value.params == {"count": 1}
        env.keys.invalidate()
        assert verify_code(uow, env, text=printed.token).ok  # still signs and verifies

    def test_forced_it_retires_and_says_how_many_cards_it_voided(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        app_id, issuer = _signed(uow, env, account)
        printed = issue_paper_pass(uow, env, issuer, application_id=app_id)
        kid = env.keys.signer(uow, env.protector, env.clock.now()).kid
        retired = paper.retire_signing_key(uow, env, kid=kid, force=True)
        assert retired.voided == 1
        env.keys.invalidate()
        assert verify_code(uow, env, text=printed.token).reason is Refusal.KEY_RETIRED

    def test_revoked_cards_and_other_keys_cards_do_not_hold_it(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        app_id, issuer = _signed(uow, env, account)
        printed = issue_paper_pass(uow, env, issuer, application_id=app_id)
        first = _row(uow, printed.paper_pass_id).kid
        new = rotate_keys(
            uow, env.protector, env.keys, now=env.clock.now(), publish_ahead=timedelta(0)
        )
        reprinted = issue_paper_pass(uow, env, issuer, application_id=app_id)  # revokes the 1st
        assert _row(uow, reprinted.paper_pass_id).kid == new.kid != first
        assert first is not None
        assert paper.retire_signing_key(uow, env, kid=first, force=False).voided == 0


def _row(uow: UnitOfWork, paper_pass_id: uuid.UUID) -> t.PaperPass:
    row = uow.paper_passes.by_id(paper_pass_id)
    assert row is not None
    return row


def test_a_missing_font_is_named(tmp_path: Path) -> None:
    with pytest.raises(FontMissing) as error:
        find_cjk_font([str(tmp_path)])
    assert "fonts-noto-cjk" in str(error.value)
    assert find_cjk_font().name == "NotoSansCJK-Regular.ttc"
