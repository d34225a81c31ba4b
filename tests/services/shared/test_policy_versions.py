"""Each policy version means one text for good: recorded when first put in force, and
a file edited under a recorded version refused (both databases)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest

from healthcode.domain.clock import FixedClock
from healthcode.domain.policy import Policy
from healthcode.domain.policy_content import canonical_text, fingerprint
from healthcode.policies import builtin_policy, parse_policy_text
from healthcode.services.codes.batches import apply_policy
from healthcode.services.codes.health_codes import read_code_state
from healthcode.services.shared.env import Env
from healthcode.services.shared.policies import Policies
from healthcode.services.shared.policy_versions import (
    PolicyEditedInPlace,
    Standing,
    check_policies,
    recorded_text,
    recorded_versions,
)
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.policies import NEW_WORDS, OLD_WORDS, REWORDED, edited_text
from tests.factories.units import SameUnit
from tests.services.conftest import declare, new_account

CHECKPOINT = ("en: Check the holder's health, then tap to confirm the release.", "en: Release.")


def binzhou(version: str, *edits: tuple[str, str]) -> Policies:
    """The Binzhou policy under a version of this test's own (the test databases are
    shared, and a server started by another test has recorded the shipped one)."""
    shipped = f'version: "{builtin_policy("binzhou-code").version}"'
    text = edited_text("binzhou-code", (shipped, f'version: "{version}"'), *edits)
    return Policies({"binzhou-code": parse_policy_text(text)})


@pytest.fixture
def version() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


class TestCheckPolicies:
    def test_the_same_file_starts_again(
        self, uow: UnitOfWork, clock: FixedClock, version: str
    ) -> None:
        first = clock.now()
        check_policies(uow, binzhou(version), now=first)
        clock.advance(timedelta(days=3))
        check_policies(uow, binzhou(version), now=clock.now())
        check_policies(uow, binzhou(version, ("# ---- red: declared", "# red")), now=clock.now())
        recorded = uow.policy_versions.get("binzhou-code", version)
        assert recorded is not None
        assert recorded.first_seen_at == first

    def test_a_file_edited_without_a_new_version_is_refused_naming_it(
        self, uow: UnitOfWork, clock: FixedClock, version: str
    ) -> None:
        check_policies(uow, binzhou(version), now=clock.now())
        with pytest.raises(PolicyEditedInPlace) as refused:
            check_policies(uow, binzhou(version, REWORDED), now=clock.now())
        said = str(refused.value)
        assert f"binzhou-code@{version}" in said
        assert "rule BZ-YELLOW-FEVER: reason.en" in said
        assert "bump the version" in said
        assert f"healthcode policies show binzhou-code@{version}" in said
        assert (refused.value.status, refused.value.code) == (500, "policy_edited_in_place")

    def test_a_file_edited_with_a_new_version_is_recorded_beside_the_old(
        self, uow: UnitOfWork, clock: FixedClock, version: str
    ) -> None:
        check_policies(uow, binzhou(version), now=clock.now())
        check_policies(uow, binzhou(f"{version}.2", REWORDED), now=clock.now())
        assert uow.policy_versions.get("binzhou-code", version) is not None
        newer = recorded_text(uow, f"binzhou-code@{version}.2")
        assert newer is not None
        assert NEW_WORDS in newer

    def test_the_checkpoint_words_alone_need_no_new_version(
        self, uow: UnitOfWork, clock: FixedClock, version: str
    ) -> None:
        """The scanner reads them from the policy in force at each scan; no state
        keeps them, so no code is left with the old ones."""
        check_policies(uow, binzhou(version), now=clock.now())
        check_policies(uow, binzhou(version, CHECKPOINT), now=clock.now())

    def test_two_starts_at_once_keep_the_first_record(
        self, uow: UnitOfWork, clock: FixedClock, version: str
    ) -> None:
        """The record another process wrote between our look and our write wins;
        a start whose text differs from it is refused like any other."""
        policy = binzhou(version)["binzhou-code"]
        first = _row(policy, clock)
        uow.policy_versions.add_once(first)
        uow.session.expunge_all()  # as if written by another process
        edited = binzhou(version, REWORDED)["binzhou-code"]
        kept = uow.policy_versions.add_once(_row(edited, clock))
        assert kept.fingerprint == first.fingerprint


def _row(policy: Policy, clock: FixedClock) -> t.PolicyVersion:
    text = canonical_text(policy)
    return t.PolicyVersion(
        policy_id=policy.id,
        version=policy.version,
        fingerprint=fingerprint(text),
        content=text,
        first_seen_at=clock.now(),
    )


def test_the_versions_listed_say_how_the_files_stand_to_them(
    uow: UnitOfWork, clock: FixedClock, version: str
) -> None:
    check_policies(uow, binzhou(version), now=clock.now())
    check_policies(uow, binzhou(f"{version}.2", REWORDED), now=clock.now())

    def standing(files: Policies) -> dict[str, Standing]:
        listed = recorded_versions(uow, files)
        return {v.version: v.standing for v in listed if v.version.startswith(version)}

    assert standing(binzhou(f"{version}.2", REWORDED)) == {
        version: Standing.EARLIER,
        f"{version}.2": Standing.IN_FORCE,
    }
    assert standing(binzhou(f"{version}.2"))[f"{version}.2"] is Standing.EDITED
    assert standing(binzhou(f"{version}.3"))[f"{version}.3"] is Standing.NEW


def test_a_new_version_in_force_recolours_the_words_of_the_old(
    uow: UnitOfWork, env: Env, clock: FixedClock, version: str
) -> None:
    """The hazard and its way out: under the same version, a policy change passes the
    code by and the resident keeps reading the old reason; under a new one it is
    recoloured with the new words."""
    shipped = dataclasses.replace(env, policies=binzhou(version))
    check_policies(uow, shipped.policies, now=clock.now())
    account = new_account(uow, shipped, "13800001111")
    declare(uow, shipped, account, temperature=38.2)
    resident = account.resident_id
    assert resident is not None

    def seen(runs: Env) -> tuple[str, str]:
        state = read_code_state(uow, runs, resident_id=resident, policy_id="binzhou-code")
        return state.policy, state.reasons[0].text["en"]

    assert seen(shipped) == (f"binzhou-code@{version}", OLD_WORDS)

    in_place = dataclasses.replace(env, policies=binzhou(version, REWORDED))
    apply_policy(SameUnit(uow), in_place, policy_id="binzhou-code")  # type: ignore[arg-type]
    assert seen(in_place)[1] == OLD_WORDS  # passed by
    with pytest.raises(PolicyEditedInPlace):
        check_policies(uow, in_place.policies, now=clock.now())

    newer = dataclasses.replace(env, policies=binzhou(f"{version}.2", REWORDED))
    check_policies(uow, newer.policies, now=clock.now())
    apply_policy(SameUnit(uow), newer, policy_id="binzhou-code")  # type: ignore[arg-type]
    code = uow.codes.of_resident(resident, "binzhou-code")
    assert code is not None
    assert code.policy_version == f"{version}.2"
    assert seen(newer) == (f"binzhou-code@{version}.2", NEW_WORDS)
