"""One ID number, one account: bound at the second confirmation, movable by its owner.

A submitted declaration keeps the identity it declares sealed (encrypted) beside it;
nothing is bound until the resident confirms having seen the birth date and sex the
number encodes, so a typo is caught and corrected instead of locking the account,
and a stranger who submits someone's number without confirming binds nothing. The
database keeps one resident row per keyed ID hash (its unique key), and one account
per resident.

If the number is already another account's, the resident can prove it is theirs with
a code texted to that account's phone (shown masked), which moves the number to the
new account; or call the 12345 hotline. Both answers are rate-limited per account
and per address, because "this number is registered" is itself worth knowing.
"""

from __future__ import annotations

import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from healthcode.domain.errors import Conflict, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.identity import mask_name
from healthcode.services.accounts import login as accounts
from healthcode.services.accounts import otp_limits
from healthcode.services.residents import dependants
from healthcode.services.residents.validation import ValidDeclaration
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.services.shared.ratelimit import TooManyRequests
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

SEAL_CONTEXT = "declared-identity"
# Answers that tell a number is registered, and the codes that prove it is one's own.
TAKEN_LIMITS = (("id-taken-account", "5/day"), ("id-taken-client", "20/day"))
CLAIM_LIMITS = (("id-claim-account", "3/day"), ("id-claim-client", "10/day"))


class IdNumberTaken(Conflict):
    code = "id_number_taken"


class NothingToClaim(Conflict):
    code = "id_number_not_taken"


class IdCheckLimited(TooManyRequests):
    code = "id_check_limited"


@dataclass(frozen=True)
class DeclaredIdentity:
    """Who a declaration is for; birth date and sex come from the number itself."""

    name: str
    name_masked: str
    id_masked: str
    birth_date: date
    sex: str
    region_code: str
    nationality: str
    address: str


@dataclass(frozen=True)
class ClaimCodeSent:
    phone_masked: str
    expires_at: datetime


def seal(env: Env, valid: ValidDeclaration) -> bytes:
    """The declared identity, encrypted, to wait for the second confirmation."""
    fields = _fields(valid)
    return env.protector.encrypt(json.dumps(fields).encode(), context=SEAL_CONTEXT)


def resident_at_counter(uow: UnitOfWork, env: Env, valid: ValidDeclaration) -> t.Resident:
    """The person an officer has entered at the counter, their ID card seen: found by
    the number (their details brought up to date) or added, with no account."""
    fields = _fields(valid)
    resident, _ = _person(uow, env, fields)
    resident.name, resident.name_masked = fields["name"], mask_name(fields["name"])
    resident.region_code, resident.address = fields["region"], fields["address"]
    resident.nationality = fields["nationality"]
    uow.flush()
    return resident


def _fields(valid: ValidDeclaration) -> dict[str, str]:
    idn = valid.id_number
    return {
        "id_number": idn.value,
        "id_masked": idn.masked,
        "birth_date": idn.birth_date.isoformat(),
        "sex": idn.sex,
        "name": valid.name,
        "region": valid.region.code,
        "nationality": valid.data.nationality,
        "address": valid.data.address,
    }


def declares(env: Env, sealed: bytes | None, valid: ValidDeclaration) -> bool:
    """Whether a waiting declaration's sealed identity is the person ``valid`` names."""
    return sealed is not None and _unseal(env, sealed)["id_number"] == valid.id_number.value


def _unseal(env: Env, blob: bytes) -> dict[str, str]:
    fields: dict[str, str] = json.loads(env.protector.decrypt(blob, context=SEAL_CONTEXT))
    return fields


def identity_of(uow: UnitOfWork, env: Env, row: t.Declaration) -> DeclaredIdentity:
    """As declared (awaiting confirmation), or as bound to the resident."""
    if row.identity_cipher is not None:
        f = _unseal(env, row.identity_cipher)
        return DeclaredIdentity(
            name=f["name"],
            name_masked=mask_name(f["name"]),
            id_masked=f["id_masked"],
            birth_date=date.fromisoformat(f["birth_date"]),
            sex=f["sex"],
            region_code=f["region"],
            nationality=f["nationality"],
            address=f["address"],
        )
    resident = uow.residents.by_id(row.resident_id) if row.resident_id else None
    if resident is None:
        raise NotFound(N_("No such declaration"))
    return DeclaredIdentity(
        name=resident.name,
        name_masked=resident.name_masked,
        id_masked=resident.id_masked,
        birth_date=resident.birth_date,
        sex=resident.sex,
        region_code=resident.region_code,
        nationality=resident.nationality,
        address=resident.address,
    )


def refuse_another_number(uow: UnitOfWork, account: t.Account, id_hash: bytes) -> None:
    """An account that has confirmed an ID number keeps it (checked early, at submit)."""
    resident = uow.residents.by_id(account.resident_id) if account.resident_id else None
    if resident is not None and resident.id_hash != id_hash:
        raise InvalidInput.single(
            "id_number",
            "not_yours",
            N_("This is not the ID number registered with your account ({masked})"),
            masked=resident.id_masked,
        )


def bind_identity(uow: UnitOfWork, env: Env, row: t.Declaration, *, client: str) -> uuid.UUID:
    """The second confirmation binds the declared number to the account: the resident id.

    The account row is locked, so one account's concurrent confirmations bind one
    person; the unique key on the ID hash keeps one row per person across accounts.
    """
    if row.identity_cipher is None:  # bound already (declared before binding waited)
        assert row.resident_id is not None
        return row.resident_id
    fields = _unseal(env, row.identity_cipher)
    id_hash = env.protector.keyed_hash(fields["id_number"], kind="id_number")
    account = _account(uow, row)
    if row.relationship is not None:  # made for a dependant: linked, not bound
        resident, inserted = _person(uow, env, fields)
        link = None if inserted else uow.dependants.by_resident(resident.id)
        if link is None or link.account_id != account.id:  # not this guardian's already
            _same_name(env, resident, fields, account.id, client)
        dependants.link_dependant(
            uow, env, account=account, resident=resident, relationship=row.relationship,
            client=client,
        )  # fmt: skip
        return _bound(uow, row, resident, fields)
    refuse_another_number(uow, account, id_hash)
    resident, inserted = _person(uow, env, fields)
    # A person inserted just now, or already bound to this account, has no other holder.
    mine = inserted or account.resident_id == resident.id
    if not mine:
        _same_name(env, resident, fields, account.id, client)
    holder, link = (None, None) if mine else _holder_of(uow, resident.id)
    if link is not None and holder is not None and holder.id == account.id:
        dependants.end_link(uow, env, link, to_account=account.id)  # one's own after all
    elif holder is not None and holder.id != account.id:
        _limit(env, TAKEN_LIMITS, account.id, client)
        raise IdNumberTaken(
            N_(
                "This ID number is registered with the phone number {phone}. If it is "
                "yours, get a code sent to that phone to move it here, or call the "
                "12345 hotline"
            ),
            phone=holder.phone_masked or "",
        )
    account.resident_id = resident.id
    return _bound(uow, row, resident, fields)


def refuse_other_name(found: t.Resident | None, name: str, message: str) -> None:
    """A person already registered is declared under their own name: a different one
    is refused beside the name (the number is someone else's, or the name mistyped),
    never written over theirs."""
    if found is not None and found.name != name:
        raise InvalidInput.single("name", "name_mismatch", message)


def _same_name(
    env: Env, resident: t.Resident, fields: dict[str, str], account_id: uuid.UUID, client: str
) -> None:
    """A registered person's number declared by another account (for itself or for a
    dependant) carries that person's name, and the refusal is counted as "this number
    is registered" is. Until stop 44 any name renamed the person, and a stranger who
    knew a phone-less person's number held their issuer-signed pass (an outside probe)."""
    if resident.name != fields["name"]:
        _limit(env, TAKEN_LIMITS, account_id, client)
        refuse_other_name(
            resident,
            fields["name"],
            N_(
                "This ID number is registered under another name: enter the name exactly "
                "as on the ID card"
            ),
        )


def _bound(
    uow: UnitOfWork, row: t.Declaration, resident: t.Resident, fields: dict[str, str]
) -> uuid.UUID:
    """The declaration now names its resident, whose details it brings up to date."""
    resident.name, resident.name_masked = fields["name"], mask_name(fields["name"])
    resident.region_code, resident.address = fields["region"], fields["address"]
    resident.nationality = fields["nationality"]
    row.resident_id, row.identity_cipher = resident.id, None
    return resident.id


def _holder_of(
    uow: UnitOfWork, resident_id: uuid.UUID
) -> tuple[t.Account | None, t.Dependant | None]:
    """Who holds a person's number: the account it is bound to, or else the guardian
    holding it as a dependant's (with the link)."""
    holder = uow.accounts.by_resident(resident_id)
    if holder is not None:
        return holder, None
    link = uow.dependants.by_resident(resident_id, lock=True)
    return (uow.accounts.by_id(link.account_id), link) if link is not None else (None, None)


def _account(uow: UnitOfWork, row: t.Declaration) -> t.Account:
    account = uow.accounts.by_id(row.account_id, lock=True) if row.account_id else None
    if account is None:
        raise NotFound(N_("No such account"))
    return account


def _new_resident(
    uow: UnitOfWork, env: Env, fields: dict[str, str], id_hash: bytes
) -> tuple[t.Resident, bool]:
    """The person as declared, inserted with every detail (or the row a concurrent
    confirmation has just inserted); (row, inserted here)."""
    return uow.residents.insert_or_existing(
        {
            "ref": secrets.token_urlsafe(12),
            "name": fields["name"],
            "name_masked": mask_name(fields["name"]),
            "id_hash": id_hash,
            "id_cipher": env.protector.encrypt(fields["id_number"].encode(), context="id_number"),
            "id_masked": fields["id_masked"],
            "sex": fields["sex"],
            "birth_date": date.fromisoformat(fields["birth_date"]),
            "nationality": fields["nationality"],
            "region_code": fields["region"],
            "address": fields["address"],
            "created_at": env.clock.now(),
        }
    )


def _person(uow: UnitOfWork, env: Env, fields: dict[str, str]) -> tuple[t.Resident, bool]:
    """The declared person's row, locked: found by the ID hash, else inserted;
    (row, inserted by this transaction: nobody holds it yet)."""
    id_hash = env.protector.keyed_hash(fields["id_number"], kind="id_number")
    found = uow.residents.by_id_hash(id_hash, lock=True)
    return (found, False) if found is not None else _new_resident(uow, env, fields, id_hash)


# --- this number is mine: prove it with a code texted to the phone on record -------


def request_claim_code(
    uow: UnitOfWork, env: Env, *, row: t.Declaration, client: str
) -> ClaimCodeSent:
    """Text a code to the phone of the account that holds the declared number."""
    holder, number = _holder(uow, env, row)
    _limit(env, CLAIM_LIMITS, _claimant(row), client)
    now = env.clock.now()
    phone_hash = _claim_hash(env, number, row)
    otp_limits.check_request(uow, env, phone_hash=phone_hash, client=client[:64], now=now)
    code = accounts.new_code()
    challenge = t.OtpChallenge(
        phone_hash=phone_hash,
        code_hash=env.protector.keyed_hash(f"{number}:{row.account_id}:{code}", kind="id-claim"),
        created_at=now,
        expires_at=now + timedelta(seconds=env.settings.otp_seconds),
        client=client[:64],
    )
    uow.add(challenge)
    uow.flush()
    uow.after_commit(lambda: env.otp_sender.send(number, code))
    return ClaimCodeSent(holder.phone_masked or "", challenge.expires_at)


def claim_id_number(
    uow: UnitOfWork, env: Env, *, row: t.Declaration, code: str, client: str
) -> None:
    """The right code moves the number from the holder's account to this one."""
    digits = accounts.parse_code(code)
    holder, number = _holder(uow, env, row)
    now = env.clock.now()
    challenge = accounts.live_challenge(env, uow.otp.latest(_claim_hash(env, number, row)), now)
    given = env.protector.keyed_hash(f"{number}:{row.account_id}:{digits}", kind="id-claim")
    if not hmac.compare_digest(challenge.code_hash, given):
        accounts.count_wrong(env, challenge, now, counted=True)
    challenge.consumed_at = now
    resident_id, link = _held(uow, env, row)
    if link is not None:  # a guardian held it: the dependant's own account takes it over
        dependants.end_link(uow, env, link, to_account=_claimant(row))
    else:
        holder.resident_id = None
        uow.flush()  # one account per resident: free it before binding it again
    _account(uow, row).resident_id = resident_id
    uow.flush()
    audit.record(
        uow,
        env,
        actor_id=row.account_id,
        action="id_number.moved",
        resident_id=resident_id,
        detail={"from_account": str(holder.id), "to_account": str(row.account_id)},
        client=client,
    )


def _claimant(row: t.Declaration) -> uuid.UUID:
    assert row.account_id is not None  # every declaration since 0003_accounts has one
    return row.account_id


def _holder(uow: UnitOfWork, env: Env, row: t.Declaration) -> tuple[t.Account, str]:
    """The other account holding the declared number, and its phone number."""
    if row.identity_cipher is None:
        raise NothingToClaim(N_("This declaration is already confirmed"))
    fields = _unseal(env, row.identity_cipher)
    id_hash = env.protector.keyed_hash(fields["id_number"], kind="id_number")
    resident = uow.residents.by_id_hash(id_hash, lock=True)
    holder = _holder_of(uow, resident.id)[0] if resident is not None else None
    if holder is None or holder.id == row.account_id or holder.phone_cipher is None:
        raise NothingToClaim(N_("No other account holds this ID number; confirm it directly"))
    return holder, env.protector.decrypt(holder.phone_cipher, context="phone").decode()


def _held(uow: UnitOfWork, env: Env, row: t.Declaration) -> tuple[uuid.UUID, t.Dependant | None]:
    """The resident a claim moves, and the guardian's link to it if a guardian holds it."""
    assert row.identity_cipher is not None
    fields = _unseal(env, row.identity_cipher)
    resident = uow.residents.by_id_hash(
        env.protector.keyed_hash(fields["id_number"], kind="id_number")
    )
    assert resident is not None  # _holder found it
    return resident.id, _holder_of(uow, resident.id)[1]


def _claim_hash(env: Env, number: str, row: t.Declaration) -> bytes:
    """Claim codes are kept apart from sign-in codes, and per claiming account."""
    return env.protector.keyed_hash(f"{number}:{row.account_id}", kind="id-claim-phone")


def _limit(
    env: Env, limits: tuple[tuple[str, str], ...], account_id: uuid.UUID, client: str
) -> None:
    for (name, limit), key in zip(limits, (str(account_id), client), strict=True):
        otp_limits.hit(env, limit, (name, key), IdCheckLimited)
