"""`healthcode verify` offline: only the signed lists, no database, no secret; every
layer reported for a valid, a tampered, an expired, a revoked and a foreign code."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import cbor2
import pytest
import segno
from typer.testing import CliRunner

from healthcode.cli import app
from healthcode.domain.clock import TZ, FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.tokens import Purpose, issue_token, new_claims
from healthcode.domain.tokens.base45 import b45decode
from healthcode.domain.tokens.codec import encode_text
from healthcode.services.codes.health_codes import display_code
from healthcode.services.shared.keys import load_ring
from healthcode.services.shared.lists import revoke_token
from tests.cli.test_cli import database, units_and_env
from tests.domain.tokens import foreign_factory as ff
from tests.domain.tokens.foreign_factory import ForeignIssuer
from tests.services.conftest import declare, new_account

__all__ = ["database"]
runner = CliRunner()


def _export(form: str, path: Path) -> Path:
    result = runner.invoke(app, ["keys", "export", "--form", form])
    assert result.exit_code == 0, result.output
    path.write_text(result.output, encoding="utf-8")
    return path


class Offline:
    """A server's lists exported to files, then the database and secret taken away."""

    def __init__(self, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tmp, self.monkeypatch = tmp, monkeypatch

    def export(self) -> list[str]:
        files = [
            "--trust",
            str(_export("signed", self.tmp / "trust.jws")),
            "--revocations",
            str(_export("revocations", self.tmp / "revocations.jws")),
            "--list-keys",
            str(_export("list-keys", self.tmp / "list-keys.json")),
        ]
        self.monkeypatch.setenv("HEALTHCODE_DATABASE_URL", "sqlite:////nonexistent/dir/no.db")
        self.monkeypatch.delenv("HEALTHCODE_SECRET_KEY")
        return files


def verify(*args: str, code: int) -> dict[str, Any]:
    result = runner.invoke(app, ["verify", *args])
    assert result.exit_code == code, result.output
    shown: dict[str, Any] = json.loads(result.output)
    return shown


def layers(shown: dict[str, Any]) -> dict[str, bool | None]:
    return {layer["layer"]: layer["ok"] for layer in shown["layers"]}


def federate_hubei(tmp_path: Path, now: datetime) -> ForeignIssuer:
    """Hubei (a P-256 document-signer certificate) federated through the CLI."""
    hubei = ff.p256_issuer("420000", "CNHB1:", now - timedelta(days=1))
    entry = tmp_path / "hubei.json"
    entry.write_text(json.dumps({"region": ff.HUBEI, "keys": [hubei.entry]}), encoding="utf-8")
    federated = runner.invoke(app, ["keys", "federate", str(entry)])
    assert federated.exit_code == 0, federated.output
    return hubei


@pytest.fixture
def world(database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A green display code, a revoked paper code, a federated P-256 region's code."""
    now = datetime.now(TZ)
    units, env = units_and_env(database, FixedClock(now))
    hubei = federate_hubei(tmp_path, now)
    with units() as uow:
        account = new_account(uow, env, "13800001111")
        declare(uow, env, account, "binzhou-code")
        token = display_code(
            uow, env, resident_id=account.resident_id, policy_id="binzhou-code"
        ).token
        paper = new_claims(
            Purpose.PAPER,
            now=now,
            issuer="CN-37",
            colour=Colour.GREEN,
            policy="binzhou-code",
            policy_version="1",
            resident_ref="r",
            masked_name="张*",
            masked_id="3701**********1234",
            pass_valid_until=now + timedelta(days=5),
        )
        revoked = issue_token(paper, load_ring(uow, env.protector).signer(now))
        revoke_token(uow, token_id=paper.token_id, reason="lost", now=now)
    files = Offline(tmp_path, monkeypatch).export()
    foreign = hubei.sign(ff.foreign_claims(now, colour=0))
    return {"token": token, "revoked": revoked, "foreign": foreign, "files": files}


class TestLayers:
    def test_a_valid_code_passes_every_layer_with_no_database(self, world: dict[str, Any]) -> None:
        shown = verify(world["token"], *world["files"], code=0)
        assert shown["valid"] is True
        assert shown["region"]["code"] == "370000"
        assert all(layers(shown).values())
        assert list(layers(shown)) == [
            "prefix",
            "base45",
            "zlib",
            "cose",
            "key",
            "signature",
            "claims",
            "validity",
            "revocation",
        ]
        assert shown["lists"]["trust"]["stale"] is False
        assert shown["warnings"] == []

    def test_a_tampered_code_fails_at_the_signature(self, world: dict[str, Any]) -> None:
        cose = zlib.decompress(b45decode(world["token"][len("CNHC1:") :]))
        message = cbor2.loads(cose)
        message.value[2] = message.value[2].replace(b"binzhou", b"binzhoU")
        tampered = encode_text(cbor2.dumps(message))
        shown = verify(tampered, *world["files"], code=2)
        assert (shown["reason"], shown["failed_layer"]) == ("bad_signature", "signature")
        assert layers(shown)["key"] is True
        assert layers(shown)["validity"] is None  # not reached

    def test_an_expired_code_fails_at_validity(self, world: dict[str, Any]) -> None:
        later = (datetime.now(TZ) + timedelta(minutes=10)).isoformat()
        shown = verify(world["token"], *world["files"], "--at", later, code=2)
        assert (shown["reason"], shown["failed_layer"]) == ("expired", "validity")
        assert layers(shown)["signature"] is True

    def test_a_revoked_code_fails_at_revocation(self, world: dict[str, Any]) -> None:
        shown = verify(world["revoked"], *world["files"], code=2)
        assert (shown["reason"], shown["failed_layer"]) == ("revoked", "revocation")
        assert layers(shown)["validity"] is True

    def test_a_foreign_code_is_checked_with_its_regions_certificate(
        self, world: dict[str, Any]
    ) -> None:
        shown = verify(world["foreign"], *world["files"], code=0)
        assert shown["region"] == {"code": "420000", "name": "湖北省"}
        assert shown["colour"] == "green"
        assert shown["claims"]["-260"]["1"]["n"] == "李*"  # as Hubei sent it
        assert all(layers(shown).values())

    def test_an_unreadable_code_names_its_layer(self, world: dict[str, Any]) -> None:
        shown = verify("CNHC1:%%%", *world["files"], code=2)
        assert shown["failed_layer"] == "base45"
        assert layers(shown)["prefix"] is True

    def test_an_image_is_read_with_zxing(self, world: dict[str, Any], tmp_path: Path) -> None:
        png = tmp_path / "code.png"
        segno.make(world["token"], error="q").save(str(png), scale=4)
        shown = verify("--image", str(png), *world["files"], code=0)
        assert shown["valid"] is True


class TestLists:
    def test_a_tampered_trust_list_is_refused(self, world: dict[str, Any]) -> None:
        trust = Path(world["files"][1])
        head, body, signature = trust.read_text().strip().split(".")
        trust.write_text(f"{head}.{body[:-4]}AAAA.{signature}")
        result = runner.invoke(app, ["verify", world["token"], *world["files"]])
        assert result.exit_code == 3
        assert json.loads(result.output)["list_refused"] in {"bad_list_signature", "malformed_list"}

    def test_an_unsigned_trust_list_is_refused(self, world: dict[str, Any]) -> None:
        Path(world["files"][1]).write_text('{"keys": []}')
        result = runner.invoke(app, ["verify", world["token"], *world["files"]])
        assert (result.exit_code, json.loads(result.output)["list_refused"]) == (3, "unsigned")

    @pytest.mark.parametrize(("days", "stale"), [(None, True), ("5", False)])
    def test_a_stale_list_warns_after_the_configured_days(
        self,
        world: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch,
        days: str | None,
        stale: bool,
    ) -> None:
        if days is not None:
            monkeypatch.setenv("HEALTHCODE_SCANNER_LIST_WARN_DAYS", days)
        later = (datetime.now(TZ) + timedelta(days=4)).isoformat()
        result = runner.invoke(app, ["verify", world["token"], *world["files"], "--at", later])
        shown = json.loads(result.output)
        assert shown["lists"]["trust"]["stale"] is stale
        assert bool(shown["warnings"]) is stale

    def test_trust_without_the_pinned_keys_is_a_usage_error(self, world: dict[str, Any]) -> None:
        result = runner.invoke(app, ["verify", world["token"], "--trust", world["files"][1]])
        assert result.exit_code == 2
        assert "--list-keys" in result.output


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels, with no pixels after it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data).to_bytes(4, "big")
        return len(data).to_bytes(4, "big") + kind + data + crc

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes((1, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


class TestUsageErrors:
    """Inputs that cannot be used exit 2 with a message naming the option (docs/keys.md);
    until stop 44 each was a traceback and exit 1, "valid, but may not pass"."""

    def test_a_truncated_image(self, tmp_path: Path) -> None:
        png = tmp_path / "code.png"
        segno.make("CNHC1:TEST", error="q").save(str(png), scale=4)
        png.write_bytes(png.read_bytes()[:-40])
        result = runner.invoke(app, ["verify", "--image", str(png)])
        assert result.exit_code == 2
        assert "--image" in result.output
        assert "Traceback" not in result.output

    def test_an_image_too_large_to_open(self, tmp_path: Path) -> None:
        png = tmp_path / "huge.png"
        png.write_bytes(_png_claiming(20000, 20000))
        result = runner.invoke(app, ["verify", "--image", str(png)])
        assert result.exit_code == 2
        assert "--image" in result.output

    def test_a_list_that_cannot_be_read_names_its_option(
        self, world: dict[str, Any], tmp_path: Path
    ) -> None:
        files = [*world["files"]]
        files[1] = str(tmp_path)  # --trust: a directory
        result = runner.invoke(app, ["verify", world["token"], *files])
        assert result.exit_code == 2
        assert "--trust: cannot read" in result.output

    @pytest.mark.parametrize("shape", ["a file", "trust.json a directory"])
    def test_a_cache_that_cannot_hold_the_lists(
        self, world: dict[str, Any], tmp_path: Path, shape: str
    ) -> None:
        cache = tmp_path / "cache"
        if shape == "a file":
            cache.write_text("not a directory")
        else:
            (cache / "trust.json").mkdir(parents=True)
        files: list[str] = world["files"]
        for given in (files, []):  # new lists to keep, or only the held ones
            result = runner.invoke(app, ["verify", world["token"], *given, "--cache", str(cache)])
            assert result.exit_code == 2, result.output
            assert "--cache" in result.output


def test_with_the_database_the_layers_are_shown_too(database: str) -> None:
    now = datetime.now(TZ)
    units, env = units_and_env(database, FixedClock(now))
    with units() as uow:
        account = new_account(uow, env, "13800001111")
        declare(uow, env, account, "binzhou-code")
        token = display_code(
            uow, env, resident_id=account.resident_id, policy_id="binzhou-code"
        ).token
    shown = verify(token, code=0)
    assert all(layers(shown).values())


def test_with_the_database_a_federated_regions_code_is_checked_with_its_entry(
    database: str, tmp_path: Path
) -> None:
    now = datetime.now(TZ)
    hubei = federate_hubei(tmp_path, now)
    shown = verify(hubei.sign(ff.foreign_claims(now, colour=0)), code=0)
    assert (shown["region"], shown["colour"]) == ({"code": "420000", "name": "湖北省"}, "green")
    assert shown["claims"]["-260"]["1"]["n"] == "李*"  # as Hubei sent it
    assert all(layers(shown).values())
    expired = verify(hubei.sign(ff.foreign_claims(now - timedelta(hours=2))), code=2)
    assert (expired["reason"], expired["failed_layer"]) == ("expired", "validity")


class TestCache:
    """A scanner's cache: older lists refused, deltas applied, held lists used offline."""

    def test_an_older_list_than_the_held_one_is_refused(
        self, database: str, tmp_path: Path
    ) -> None:
        pinned = str(_export("list-keys", tmp_path / "list-keys.json"))
        first = _export("signed", tmp_path / "v1.jws")
        hubei = federate_hubei(tmp_path, datetime.now(TZ))
        second = _export("signed", tmp_path / "v2.jws")
        cache = str(tmp_path / "cache")
        code = hubei.sign(ff.foreign_claims(datetime.now(TZ)))
        base = ["verify", code, "--list-keys", pinned, "--cache", cache]
        assert runner.invoke(app, [*base, "--trust", str(second)]).exit_code == 0
        rolled_back = runner.invoke(app, [*base, "--trust", str(first)])
        assert rolled_back.exit_code == 3
        assert json.loads(rolled_back.output)["list_refused"] == "list_rollback"
        offline = runner.invoke(app, ["verify", code, "--cache", cache])  # the held list
        assert offline.exit_code == 0, offline.output

    def test_a_delta_applies_to_the_held_list(self, database: str, tmp_path: Path) -> None:
        pinned = str(_export("list-keys", tmp_path / "list-keys.json"))
        full = _export("signed", tmp_path / "full.jws")
        body = full.read_text().split(".")[1]
        version = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["version"]
        hubei = ff.rsa_pss_issuer("420000", "CNHB1:", datetime.now(TZ) - timedelta(days=1))
        entry = tmp_path / "hubei.json"
        entry.write_text(json.dumps({"region": ff.HUBEI, "keys": [hubei.entry]}))
        assert runner.invoke(app, ["keys", "federate", str(entry)]).exit_code == 0
        delta = tmp_path / "delta.jws"
        exported = runner.invoke(
            app, ["keys", "export", "--form", "signed", "--since", str(version)]
        )
        delta.write_text(exported.output)
        cache = str(tmp_path / "cache")
        code = hubei.sign(ff.foreign_claims(datetime.now(TZ)))
        base = ["verify", code, "--list-keys", pinned, "--cache", cache]
        without = runner.invoke(app, [*base, "--trust", str(delta)])
        assert json.loads(without.output)["list_refused"] == "delta_mismatch"  # nothing held
        assert runner.invoke(app, [*base, "--trust", str(full)]).exit_code == 2  # unknown key
        applied = runner.invoke(app, [*base, "--trust", str(delta)])
        assert applied.exit_code == 0, applied.output
        assert json.loads(applied.output)["region"]["code"] == "420000"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"region": {**ff.HUBEI, "code": "4200"}}, "region.code"),
        ({"region": {**ff.HUBEI, "code": "370000"}}, "our own region"),
        ({"keys": []}, "keys: must be a list of 1 to 200 keys"),
        ({"keys": [{"region": "440000", "x5c": ["AA=="]}]}, "x5c"),
    ],
)
def test_a_bad_region_entry_is_refused_with_where(
    database: str, tmp_path: Path, change: dict[str, Any], says: str
) -> None:
    hubei = ff.p256_issuer("420000", "CNHB1:", datetime.now(TZ))
    entry = tmp_path / "region.json"
    entry.write_text(json.dumps({"region": ff.HUBEI, "keys": [hubei.entry], **change}))
    result = runner.invoke(app, ["keys", "federate", str(entry)])
    assert result.exit_code == 2
    assert says in result.output
