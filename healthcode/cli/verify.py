"""`healthcode verify`: a code checked layer by layer, with the database or offline.

Offline (``--trust``) it needs no database and no secret: only the signed lists as
downloaded and the pinned list-signing keys (docs/keys.md, docs/federation.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from healthcode.cli.shared import aware
from healthcode.domain.colour import Colour
from healthcode.domain.tokens import AttestationClaims, CodeClaims
from healthcode.domain.tokens.foreign import ForeignVerification, plain_claims
from healthcode.domain.tokens.keys import VerifyingKey
from healthcode.domain.tokens.layers import LayeredResult, foreign_layers, verify_layers
from healthcode.domain.tokens.lists import (
    ListError,
    ListRefusal,
    RevocationList,
    TrustList,
    is_stale,
    load_revocations,
    load_trust_list,
    revocations_from_state,
    revocations_state,
    trust_from_state,
    trust_state,
    trusted_list_keys,
)
from healthcode.domain.tokens.refusal import VALID_MESSAGE
from healthcode.domain.tokens.trustlist import TrustListError, from_jwks

LIST_REFUSED = 3
T = TypeVar("T")

TokenArg = Annotated[
    str | None, typer.Argument(help="the code's text as a QR reader prints it", show_default=False)
]
ImageOpt = Annotated[
    Path | None,
    typer.Option("--image", help="a PNG or JPEG image of the QR code (read with zxing-cpp)"),
]
TrustOpt = Annotated[
    Path | None,
    typer.Option(
        "--trust",
        help="the signed trust list (GET /api/v1/trust-list?format=signed): verify offline, "
        "with no database",
    ),
]
RevocationsOpt = Annotated[
    Path | None,
    typer.Option("--revocations", help="the signed revocation list (?format=signed)"),
]
ListKeysOpt = Annotated[
    Path | None,
    typer.Option(
        "--list-keys",
        help="the pinned list-signing keys, a JWK Set (GET /api/v1/list-keys); needed with --trust",
    ),
]
CacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        help="a directory where the lists last accepted are kept: a list older than the "
        "one held is refused, a delta (?since=N) applies to it, and with no --trust the "
        "held lists are used",
    ),
]
AtOpt = Annotated[
    datetime | None,
    typer.Option("--at", help="verify as of this time (Asia/Shanghai unless a zone is given)"),
]


def verify(
    token: TokenArg = None,
    image: ImageOpt = None,
    trust: TrustOpt = None,
    revocations: RevocationsOpt = None,
    list_keys: ListKeysOpt = None,
    cache: CacheOpt = None,
    at: AtOpt = None,
) -> None:
    """Verify a code (its text, or --image) and print every layer's result as JSON:
    prefix, base45, zlib, COSE structure, key (kid, region), signature, claims, validity
    window, revocation, and for a phone's live code the device.

    With --trust (and --list-keys) it works offline from the signed lists alone, and
    also verifies other regions' codes; with --cache it keeps the lists it accepted and
    refuses older ones; without either, it checks against this server's database.

    Exit codes: 0 valid and the holder may pass (green); 1 valid but the holder may not
    pass (yellow, red, pending, or a colour not read); 2 refused (the reason and the
    failing layer are printed); 3 a list given was refused (unsigned, tampered, older…).
    """
    text = _text(token, image)
    now = aware(at) if at is not None else datetime.now(UTC)
    if trust is None and cache is None:
        if revocations is not None or list_keys is not None:
            raise typer.BadParameter("--revocations and --list-keys go with --trust")
        result, lists = _with_database(text, at), None
    else:
        trust_list, revoked, lists = _load_lists(trust, revocations, list_keys, cache, now)
        is_revoked = revoked.is_revoked if revoked is not None else None
        result = verify_layers(text, now=now, trust_list=trust_list, is_revoked=is_revoked)
    shown = _shown(result)
    if lists is not None:
        shown["lists"] = lists
        shown["warnings"] = [f"the {name} list is stale" for name, v in lists.items() if v["stale"]]
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))
    raise typer.Exit(0 if shown["may_pass"] else 1 if shown["valid"] else 2)


def _text(token: str | None, image: Path | None) -> str:
    if (token is None) == (image is None):
        raise typer.BadParameter("give either TOKEN or --image PNG, not both")
    if token is not None:
        return token
    assert image is not None
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(image) as picture:
            picture.load()  # a truncated file fails here, not as zxing's TypeError
            found = zxingcpp.read_barcodes(
                picture, formats=zxingcpp.barcode_formats_from_str("QRCode")
            )
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise typer.BadParameter(f"--image: cannot read {image}: {error}") from None
    if len(found) != 1:
        raise typer.BadParameter(f"--image: expected one QR code, found {len(found)}")
    return str(found[0].text)


def _with_database(text: str, at: datetime | None) -> LayeredResult:
    from healthcode.cli.shared import context
    from healthcode.domain.clock import FixedClock
    from healthcode.services.codes.online import verify_online
    from healthcode.services.shared.keys import layered_verification
    from healthcode.services.shared.lists import federated_region_for

    units, env = context(FixedClock(aware(at)) if at else None)
    now = env.clock.now()
    with units() as uow:
        federated = federated_region_for(uow, text)
        if federated is not None:  # another region's code: its layers give verify_code's verdict
            region, keys = federated
            return foreign_layers(text, region=region, keys=keys, at=int(now.timestamp()))
        verdict = verify_online(uow, env, text=text)
        layers = layered_verification(uow, env.protector, env.keys, text=text, now=now)
    return LayeredResult(layers.layers, verdict, None)


def _load_lists(
    trust: Path | None,
    revocations: Path | None,
    list_keys: Path | None,
    cache: Path | None,
    now: datetime,
) -> tuple[TrustList, RevocationList | None, dict[str, dict[str, Any]]]:
    if (trust or revocations) and list_keys is None:
        raise typer.BadParameter("--trust needs the pinned list keys: --list-keys FILE")
    pinned = _pinned(list_keys) if list_keys is not None else []
    try:
        held = _cached(cache, "trust.json", trust_from_state)
        held_revoked = _cached(cache, "revocations.json", revocations_from_state)
        trust_list = (
            load_trust_list(_read(trust, "--trust"), pinned=pinned, held=held) if trust else held
        )
        if trust_list is None:
            raise typer.BadParameter(f"--cache: {cache} holds no trust list yet; give --trust")
        revoked = held_revoked
        if revocations is not None:
            keys = trusted_list_keys(pinned, trust_list)
            revoked = load_revocations(
                _read(revocations, "--revocations"), list_keys=keys, held=held_revoked
            )
    except ListError as error:
        typer.echo(json.dumps({"list_refused": error.refusal.value, "detail": str(error)}))
        raise typer.Exit(LIST_REFUSED) from None
    if cache is not None:
        _keep(cache, "trust.json", trust_state(trust_list))
        if revoked is not None:
            _keep(cache, "revocations.json", revocations_state(revoked))
    warn_days = _warn_days()
    lists = {"trust": _list_state(trust_list, now, warn_days)}
    if revoked is not None:
        lists["revocations"] = _list_state(revoked, now, warn_days)
    return trust_list, revoked, lists


def _pinned(path: Path) -> list[VerifyingKey]:
    try:
        return from_jwks(json.loads(_read(path, "--list-keys")))
    except (ValueError, TrustListError) as error:
        raise typer.BadParameter(f"--list-keys: not a JWK Set of list keys: {error}") from None


def _cached(cache: Path | None, name: str, load: Callable[[Any], T]) -> T | None:
    """The list held in the cache, None if none is held yet. A cache that is no
    directory of files is a usage error: keeping the next list there would fail too."""
    if cache is None:
        return None
    try:
        return load(json.loads((cache / name).read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except OSError as error:
        raise typer.BadParameter(_unusable_cache(cache, name, error)) from None
    except ValueError as error:
        if isinstance(error, ListError):
            raise
        raise ListError(ListRefusal.MALFORMED, f"cached {name}: {error}") from None


def _keep(cache: Path, name: str, state: dict[str, Any]) -> None:
    """Write the accepted list's state whole (a temporary file, then a rename)."""
    temporary = cache / f".{name}.tmp"
    try:
        cache.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        temporary.replace(cache / name)
    except OSError as error:
        raise typer.BadParameter(_unusable_cache(cache, name, error)) from None


def _unusable_cache(cache: Path, name: str, error: OSError) -> str:
    return f"--cache: {cache} cannot hold {name}: {error.strerror or error}"


def _warn_days() -> int:
    """``HEALTHCODE_SCANNER_LIST_WARN_DAYS``: settings only, no database is opened."""
    from healthcode.config import Settings

    return Settings().scanner_list_warn_days


def _list_state(held: TrustList | RevocationList, now: datetime, days: int) -> dict[str, Any]:
    return {
        "version": held.version,
        "issued_at": datetime.fromtimestamp(held.issued_at, UTC).isoformat(),
        "stale": is_stale(held.issued_at, now, warn_days=days),
    }


def _read(path: Path, option: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise typer.BadParameter(f"{option}: cannot read {path}: {error}") from None


def _shown(result: LayeredResult) -> dict[str, Any]:
    outcome = result.outcome
    reason = outcome.reason
    failed = next((layer.name for layer in result.layers if layer.ok is False), None)
    shown: dict[str, Any] = {
        "valid": reason is None,
        "may_pass": False,
        "reason": reason.value if reason else None,
        "message": VALID_MESSAGE if reason is None else reason.message,
        "failed_layer": failed,
        "region": None
        if result.region is None
        else {"code": result.region.code, "name": result.region.name},
        "layers": [{"layer": x.name, "ok": x.ok, "detail": x.detail} for x in result.layers],
    }
    if isinstance(outcome, ForeignVerification):
        shown["may_pass"] = reason is None and outcome.colour is Colour.GREEN
        shown["colour"] = outcome.colour.value if outcome.colour else None
        shown["claims"] = plain_claims(outcome.claims)
    else:
        shown["may_pass"] = outcome.may_pass
        shown["claims"] = _our_claims(outcome.claims)
    return shown


def _our_claims(claims: CodeClaims | AttestationClaims | None) -> dict[str, Any] | None:
    if claims is None:
        return None
    return {
        "colour": claims.colour.value,
        "policy": claims.policy,
        "masked_name": claims.masked_name,
        "masked_id": claims.masked_id,
        "purpose": claims.purpose.value,
        "issued_at": claims.issued_at.isoformat(),
        "expires_at": claims.expires_at.isoformat(),
        "pass_valid_until": claims.pass_valid_until.isoformat()
        if claims.pass_valid_until
        else None,
    }
