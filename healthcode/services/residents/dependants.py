"""Codes for dependants (代领 / 亲友码): a resident applies for a child or an elderly parent.

The applicant fills in the dependant's declaration with the dependant's own ID number
and name and says how they are related; the pledge is the applicant's, made for the
dependant, and the second confirmation follows the same rules as one's own. At the
confirmation the dependant gets a resident record of their own (their own colour,
their own codes) linked to the applicant's account, not bound to it: the account's
own ID number stays its own.

Refused, each with its own reason: the applicant's own number; a number already
bound to an account (that person shows their own code); a number another guardian
holds; more than ``Settings.max_dependants`` dependants (those confirmed: a declaration
waiting for its confirmation holds no one yet). Declarations waiting for other family
members are bounded apart (``WAITING_LIMIT``; the oldest gives way). The dependant's
own account may later take the number over by the "move by SMS" path (``binding``):
the code goes to the guardian's phone, and the move ends the guardian's link. The
guardian may end the link (``remove_dependant``): the person's record stays.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from healthcode.domain.errors import Conflict, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

# Declarations for family members (other than the one being declared) that may wait
# for their confirmation at once, per code: a new one beyond it replaces the oldest.
# Until stop 43 waiting ones counted towards ``max_dependants``, so five mistyped
# numbers refused a new guardian's sixth and seventh with none confirmed (an outside
# probe); unbounded, a script could leave any number waiting (an earlier probe).
WAITING_LIMIT = 10


class Relationship(StrEnum):
    """How the dependant is related to the applicant."""

    CHILD = "child"
    PARENT = "parent"
    GRANDPARENT = "grandparent"
    GRANDCHILD = "grandchild"
    SPOUSE = "spouse"
    SIBLING = "sibling"
    OTHER = "other"


RELATIONSHIPS = {
    Relationship.CHILD: N_("Child"),
    Relationship.PARENT: N_("Parent"),
    Relationship.GRANDPARENT: N_("Grandparent"),
    Relationship.GRANDCHILD: N_("Grandchild"),
    Relationship.SPOUSE: N_("Spouse"),
    Relationship.SIBLING: N_("Brother or sister"),
    Relationship.OTHER: N_("Other relative"),
}


class DependantHasAccount(Conflict):
    code = "dependant_has_account"


class HeldByAnotherGuardian(Conflict):
    code = "dependant_held_by_another"


class TooManyDependants(Conflict):
    code = "too_many_dependants"


@dataclass(frozen=True)
class DependantSummary:
    """One dependant, as the applicant's pages list them (masked)."""

    resident_id: uuid.UUID
    name_masked: str
    id_masked: str
    relationship: Relationship


def relationship_of(value: str | None) -> Relationship:
    """The relationship a form or request names; a clear error for anything else."""
    try:
        return Relationship(value or "")
    except ValueError:
        raise InvalidInput.single(
            "relationship", "invalid", N_("Choose how this person is related to you")
        ) from None


def check_dependant(uow: UnitOfWork, env: Env, *, account: t.Account, id_hash: bytes) -> None:
    """May ``account`` hold the codes of the person with this ID hash? (at submit, and
    again at the confirmation, under the account's lock). The limit counts the family
    members confirmed, not declarations waiting (``beyond_waiting_limit``)."""
    own = uow.residents.by_id(account.resident_id) if account.resident_id else None
    if own is not None and own.id_hash == id_hash:
        raise InvalidInput.single(
            "id_number",
            "own_number",
            N_("This is your own ID number: declare for yourself instead"),
        )
    resident = uow.residents.by_id_hash(id_hash)
    link = uow.dependants.by_resident(resident.id) if resident is not None else None
    if link is not None and link.account_id == account.id:
        return  # declaring again for one's dependant
    if resident is not None and uow.accounts.by_resident(resident.id) is not None:
        raise DependantHasAccount(
            N_(
                "This person has an account of their own and shows their own code; "
                "a guardian cannot hold it"
            )
        )
    if link is not None:
        raise HeldByAnotherGuardian(N_("Another family member already holds this person's code"))
    if uow.dependants.count_of(account.id) >= env.settings.max_dependants:
        raise TooManyDependants(
            N_("An account may hold the codes of at most {max} family members"),
            max=env.settings.max_dependants,
        )


def beyond_waiting_limit(uow: UnitOfWork, others: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """Of the declarations waiting for other family members (``others``), the oldest
    that give way to a new one, so that at most ``WAITING_LIMIT`` wait with it."""
    over = len(others) + 1 - WAITING_LIMIT
    if over <= 0:
        return []
    rows = [row for row in map(uow.declarations.by_id, others) if row is not None]
    rows.sort(key=lambda row: (row.submitted_at, str(row.id)))
    return [row.id for row in rows[:over]]


def link_dependant(
    uow: UnitOfWork,
    env: Env,
    *,
    account: t.Account,
    resident: t.Resident,
    relationship: str,
    client: str = "",
) -> None:
    """At the second confirmation: the account holds this person's codes from now."""
    check_dependant(uow, env, account=account, id_hash=resident.id_hash)
    link = uow.dependants.by_resident(resident.id, lock=True)
    if link is not None:
        link.relationship = relationship
        return
    uow.add(
        t.Dependant(
            account_id=account.id,
            resident_id=resident.id,
            relationship=relationship,
            added_at=env.clock.now(),
        )
    )
    uow.flush()
    audit.record(
        uow,
        env,
        actor_id=account.id,
        action="dependant.added",
        resident_id=resident.id,
        detail={"relationship": relationship},
        client=client,
    )


def list_dependants(uow: UnitOfWork, *, account_id: uuid.UUID) -> list[DependantSummary]:
    return [
        DependantSummary(r.id, r.name_masked, r.id_masked, Relationship(d.relationship))
        for d, r in uow.dependants.of_account(account_id)
    ]


def dependant_of(
    uow: UnitOfWork, *, account_id: uuid.UUID, resident_id: uuid.UUID
) -> DependantSummary:
    """One of the account's dependants; anyone else's record is not found."""
    for found in list_dependants(uow, account_id=account_id):
        if found.resident_id == resident_id:
            return found
    raise NotFound(N_("No such family member"))


def remove_dependant(
    uow: UnitOfWork, env: Env, *, account_id: uuid.UUID, resident_id: uuid.UUID, client: str = ""
) -> None:
    """The account stops holding this family member's codes: the link ends (audit
    ``dependant.removed``). The person's record, colour, history and codes stay theirs;
    another guardian may add them, or they may declare with an account of their own.
    Anyone else's family member is not found. Until stop 43 no link could end but by a
    take-over, and a full account could never make room (an outside probe)."""
    uow.accounts.by_id(account_id, lock=True)  # as a confirmation linking one does
    link = uow.dependants.by_resident(resident_id, lock=True)
    if link is None or link.account_id != account_id:
        raise NotFound(N_("No such family member"))
    audit.record(
        uow,
        env,
        actor_id=account_id,
        action="dependant.removed",
        resident_id=resident_id,
        detail={"relationship": link.relationship},
        client=client,
    )
    uow.dependants.remove(link)


def end_link(uow: UnitOfWork, env: Env, link: t.Dependant, *, to_account: uuid.UUID) -> None:
    """The dependant's own account took the number over (``binding.claim_id_number``)."""
    audit.record(
        uow,
        env,
        actor_id=to_account,
        action="dependant.taken_over",
        resident_id=link.resident_id,
        detail={"from_guardian": str(link.account_id), "to_account": str(to_account)},
    )
    uow.dependants.remove(link)
