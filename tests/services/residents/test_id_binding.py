"""One ID number, one account, bound at the second confirmation (issue 7 #10)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.services.accounts import login as accounts
from healthcode.services.residents.binding import (
    IdCheckLimited,
    IdNumberTaken,
    NothingToClaim,
    resident_at_counter,
)
from healthcode.services.residents.declarations import (
    claim_id_number,
    confirm_declaration,
    request_id_claim_code,
    show_declaration,
    submit_declaration,
)
from healthcode.services.residents.results import DeclarationDetail
from healthcode.services.residents.validation import validate_declaration
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.identity import make_id_number
from tests.factories.inputs import declaration, id_number
from tests.factories.units import race
from tests.services.conftest import declare, new_account

OWNER_PHONE, MINE = "13800001111", "13900002222"


class Sms:
    def __init__(self) -> None:
        self.sent: dict[str, str] = {}

    def send(self, phone: str, code: str) -> None:
        self.sent[phone] = code


@pytest.fixture
def sms(env: Env) -> Sms:
    env.otp_sender = sender = Sms()
    return sender


def submit(uow: UnitOfWork, env: Env, account: t.Account, number: str) -> DeclarationDetail:
    data = declaration(id_number=number)
    return submit_declaration(uow, env, account_id=account.id, data=data).declaration


def confirm(uow: UnitOfWork, env: Env, account: t.Account, row: DeclarationDetail) -> Colour:
    state = confirm_declaration(uow, env, account_id=account.id, declaration_id=row.id, client="c")
    return state.colour


def residents(uow: UnitOfWork) -> int:
    return uow.session.scalar(select(func.count()).select_from(t.Resident)) or 0


class TestBindOnConfirmation:
    def test_submitting_binds_nothing(self, uow: UnitOfWork, env: Env, account: t.Account) -> None:
        submit(uow, env, account, id_number())
        assert account.resident_id is None
        assert residents(uow) == 0

    def test_the_confirmation_shows_birth_date_and_sex_from_the_number(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        for seq, sex in ((11, "M"), (12, "F")):
            number = make_id_number(birth=date(1985, 11, 2), region="371602", seq=seq)
            row = submit(uow, env, account, number)
            shown = show_declaration(
                uow, env, account_id=account.id, declaration_id=row.id
            ).identity
            assert (shown.birth_date, shown.sex) == (date(1985, 11, 2), sex)

    def test_a_typo_is_corrected_by_submitting_again(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        typo, right = id_number(birth=date(1990, 3, 8)), id_number()
        first = submit(uow, env, account, typo)
        second = submit(uow, env, account, right)
        assert uow.declarations.of_account(account.id, first.id) is None  # replaced
        assert confirm(uow, env, account, second) is Colour.GREEN
        resident = uow.residents.by_id(account.resident_id)  # type: ignore[arg-type]
        assert resident is not None
        assert resident.birth_date == date(1990, 3, 7)
        someone = new_account(uow, env, "13700004444")
        assert confirm(uow, env, someone, submit(uow, env, someone, typo)) is Colour.GREEN

    def test_a_stranger_who_does_not_confirm_locks_no_one_out(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        number = id_number()
        stranger = new_account(uow, env, "13700004444")
        submit(uow, env, stranger, number)
        assert confirm(uow, env, account, submit(uow, env, account, number)) is Colour.GREEN
        assert stranger.resident_id is None

    def test_a_confirmed_account_keeps_its_number(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        declare(uow, env, account)
        with pytest.raises(InvalidInput) as caught:
            submit(uow, env, account, id_number())
        assert caught.value.errors[0].code == "not_yours"


class TestTakenNumber:
    @pytest.fixture
    def taken(self, uow: UnitOfWork, env: Env, account: t.Account) -> str:
        number = id_number()
        declare(uow, env, account, id_number=number)
        return number

    def test_the_owner_moves_the_number_with_a_code_sent_to_the_phone_on_record(
        self, uow: UnitOfWork, env: Env, account: t.Account, taken: str, sms: Sms
    ) -> None:
        mine = new_account(uow, env, MINE)
        row = submit(uow, env, mine, taken)
        with pytest.raises(IdNumberTaken) as caught:
            confirm(uow, env, mine, row)
        assert caught.value.params == {"phone": "138****1111"}
        sent = request_id_claim_code(
            uow, env, account_id=mine.id, declaration_id=row.id, client="c"
        )
        uow.commit()
        assert sent.phone_masked == "138****1111"
        code = sms.sent[OWNER_PHONE]  # to the phone on record, not to the claimant
        with pytest.raises(accounts.OtpInvalid):
            claim(uow, env, mine, row, f"{(int(code) + 1) % 1_000_000:06d}")
        claim(uow, env, mine, row, code)
        assert account.resident_id is None
        assert confirm(uow, env, mine, row) is Colour.GREEN
        assert residents(uow) == 1  # the same person, now with this account

    def test_a_claim_code_of_another_claimant_does_not_work(
        self, uow: UnitOfWork, env: Env, taken: str, sms: Sms, clock: FixedClock
    ) -> None:
        mine, theirs = new_account(uow, env, MINE), new_account(uow, env, "13700004444")
        my_row, their_row = submit(uow, env, mine, taken), submit(uow, env, theirs, taken)
        request_id_claim_code(uow, env, account_id=mine.id, declaration_id=my_row.id, client="c")
        uow.commit()
        with pytest.raises(accounts.OtpMissing):
            claim(uow, env, theirs, their_row, sms.sent[OWNER_PHONE])

    def test_nothing_to_claim_when_no_one_holds_the_number(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        row = submit(uow, env, account, id_number())
        with pytest.raises(NothingToClaim):
            request_id_claim_code(
                uow, env, account_id=account.id, declaration_id=row.id, client="c"
            )

    def test_another_name_is_refused_and_counted(
        self, uow: UnitOfWork, env: Env, account: t.Account, taken: str
    ) -> None:
        """Stop 44, an outside probe: an account confirming a registered number under
        another name renamed the person (and, for a phone-less person entered at the
        counter, took their signed pass). The refusal tells that the number is
        registered, so it counts as the other such answers do."""
        stranger = new_account(uow, env, MINE)
        row = submit_declaration(
            uow, env, account_id=stranger.id, data=declaration(id_number=taken, name="孙冒名")
        ).declaration
        for _ in range(5):
            with pytest.raises(InvalidInput) as refused:
                confirm(uow, env, stranger, row)
            assert [(e.field, e.code) for e in refused.value.errors] == [("name", "name_mismatch")]
        with pytest.raises(IdCheckLimited):
            confirm(uow, env, stranger, row)
        assert account.resident_id is not None
        resident = uow.residents.by_id(account.resident_id)
        assert resident is not None
        assert resident.name == "张三"
        assert stranger.resident_id is None

    def test_a_person_nobody_holds_binds_under_their_own_name_only(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        """A person entered at the counter has no account: one opened later binds to
        the record, under the name on it."""
        number = id_number()
        entered = declaration(id_number=number, name="赵老汉")
        policy = env.policies.find("binzhou-code")
        person = resident_at_counter(
            uow, env, validate_declaration(entered, policy, env.clock.now().date())
        )
        with pytest.raises(InvalidInput) as refused:
            confirm(uow, env, account, submit(uow, env, account, number))
        assert [(e.field, e.code) for e in refused.value.errors] == [("name", "name_mismatch")]
        assert person.name == "赵老汉"
        row = submit_declaration(
            uow, env, account_id=account.id, data=declaration(id_number=number, name="赵老汉")
        ).declaration
        assert confirm(uow, env, account, row) is Colour.GREEN
        assert account.resident_id == person.id

    def test_taken_answers_are_limited_per_account(
        self, uow: UnitOfWork, env: Env, taken: str
    ) -> None:
        mine = new_account(uow, env, MINE)
        row = submit(uow, env, mine, taken)
        for _ in range(5):
            with pytest.raises(IdNumberTaken):
                confirm(uow, env, mine, row)
        with pytest.raises(IdCheckLimited):
            confirm(uow, env, mine, row)

    def test_claim_codes_are_limited_per_account_and_per_address(
        self, uow: UnitOfWork, env: Env, taken: str, clock: FixedClock
    ) -> None:
        def ask(account: t.Account, row: DeclarationDetail, client: str) -> None:
            request_id_claim_code(
                uow, env, account_id=account.id, declaration_id=row.id, client=client
            )
            clock.advance(timedelta(minutes=2))

        mine = new_account(uow, env, MINE)
        row = submit(uow, env, mine, taken)
        for n in range(3):
            ask(mine, row, f"10.0.0.{n}")
        with pytest.raises(IdCheckLimited):
            ask(mine, row, "10.0.0.9")
        for n in range(10):  # ten a day from one address, whichever the accounts
            other = new_account(uow, env, f"1370000{n:04d}")
            ask(other, submit(uow, env, other, taken), "10.9.9.9")
        last = new_account(uow, env, "13600000000")
        with pytest.raises(IdCheckLimited):
            ask(last, submit(uow, env, last, taken), "10.9.9.9")


def claim(uow: UnitOfWork, env: Env, account: t.Account, row: DeclarationDetail, code: str) -> None:
    claim_id_number(uow, env, account_id=account.id, declaration_id=row.id, code=code, client="c")


# --- one person, one row: concurrent confirmations on real connections ---------------


@pytest.fixture
def units(engine: Engine) -> Iterator[UnitOfWorkFactory]:
    factory = sessionmaker(engine, expire_on_commit=False)
    yield UnitOfWorkFactory(factory)
    _clean(factory)


def _clean(factory: sessionmaker[Session]) -> None:
    """Delete what the race tests committed: their accounts (phones 135…) and people."""
    with factory.begin() as session:
        ours = t.Account.phone_masked.like("135%")
        people = [r for r in session.scalars(select(t.Account.resident_id).where(ours)) if r]
        session.execute(delete(t.Account).where(ours))
        session.execute(delete(t.Resident).where(t.Resident.id.in_(people)))


class TestOnePersonOneRow:
    @pytest.mark.parametrize("submitted_first", [True, False])
    def test_six_concurrent_declarations_of_one_account_make_one_resident(
        self, units: UnitOfWorkFactory, env: Env, submitted_first: bool
    ) -> None:
        with units() as uow:
            account = new_account(uow, env, "13500000001")
        numbers = [id_number() for _ in range(6)]
        rows: dict[str, DeclarationDetail] = {}
        for number in numbers if submitted_first else ():
            with units() as uow:  # six tabs, each submitted; then all confirm at once
                rows[number] = submit(uow, env, account, number)

        def declare_one(number: str) -> Callable[[UnitOfWork], object]:
            def act(uow: UnitOfWork) -> object:
                row = rows.get(number) or submit(uow, env, account, number)
                return confirm(uow, env, account, row)

            return act

        outcomes = race(units, [declare_one(n) for n in numbers])
        assert sum(o is Colour.GREEN for o in outcomes) == 1, outcomes
        refused = [o for o in outcomes if o is not Colour.GREEN]
        if submitted_first:  # each submission replaced the one before it
            assert all(isinstance(o, NotFound) for o in refused), outcomes
        else:  # the first to confirm binds its number; the others are not theirs
            assert all(
                isinstance(o, InvalidInput) and o.errors[0].code == "not_yours" for o in refused
            ), outcomes
        with units() as uow:
            bound = uow.accounts.by_id(account.id)
            assert bound is not None
            assert bound.resident_id is not None
            hashes = [env.protector.keyed_hash(n, kind="id_number") for n in numbers]
            query = select(t.Resident.id).where(t.Resident.id_hash.in_(hashes))
            assert list(uow.session.scalars(query)) == [bound.resident_id]

    def test_two_accounts_confirming_one_new_number_at_once(
        self, units: UnitOfWorkFactory, env: Env
    ) -> None:
        with units() as uow:
            first = new_account(uow, env, "13500000002")
            second = new_account(uow, env, "13500000003")
        number = id_number()
        outcomes = race(
            units,
            [
                lambda uow: confirm(uow, env, first, submit(uow, env, first, number)),
                lambda uow: confirm(uow, env, second, submit(uow, env, second, number)),
            ],
        )
        assert sorted(type(o).__name__ for o in outcomes) == ["Colour", "IdNumberTaken"]
        with units() as uow:
            hash_ = env.protector.keyed_hash(number, kind="id_number")
            count = select(func.count()).where(t.Resident.id_hash == hash_)
            assert uow.session.scalar(count) == 1
