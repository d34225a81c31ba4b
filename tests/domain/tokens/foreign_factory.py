"""Foreign regions for federation tests: self-signed document-signer certificates
(ECDSA P-256, RSA-PSS) or an Ed25519 key, and codes signed the EU DCC's way."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from healthcode.domain.tokens.base45 import b45decode, b45encode
from healthcode.domain.tokens.federation import b64url, certificate_entry, certificate_kid
from healthcode.domain.tokens.foreign import PSS_SALT_BYTES

# Hubei (420000) codes "CNHB1:", its colour at -260 / 1 / "c": 0 green, 1 yellow, 2 red
HUBEI = {
    "code": "420000",
    "name": "湖北省",
    "prefixes": ["CNHB1:"],
    "colour": {"claim": [-260, 1, "c"], "values": {"0": "green", "1": "yellow", "2": "red"}},
}
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
GUANGDONG = {"code": "440000", "name": "广东省", "prefixes": ["CNGD1:"], "colour": None}
ZHEJIANG = {"code": "330000", "name": "浙江省", "prefixes": ["CNZJ1:"], "colour": None}


@dataclass
class ForeignIssuer:
    prefix: str
    alg: int
    private: Any
    kid: bytes
    entry: dict[str, Any]  # the trust-list KEY

    def sign(self, claims: dict[Any, Any], *, alg: int | None = None) -> str:
        alg = self.alg if alg is None else alg
        protected = cbor2.dumps({1: alg, 4: self.kid})
        payload = cbor2.dumps(claims)
        tbs = cbor2.dumps(["Signature1", protected, b"", payload])
        signature = _sign(self.private, tbs)
        cose = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))
        return self.prefix + b45encode(zlib.compress(cose, 9))


def malleated(text: str, prefix: str) -> str:
    """A P-256 code with its other valid signature of the same content, (r, n - s):
    anyone holding the code can make it, without the key."""
    cose = cbor2.loads(zlib.decompress(b45decode(text[len(prefix) :])))
    protected, unprotected, payload, signature = cose.value
    s = int.from_bytes(signature[32:], "big")
    flipped = signature[:32] + (P256_ORDER - s).to_bytes(32, "big")
    again = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, payload, flipped]))
    return prefix + b45encode(zlib.compress(again, 9))


def _sign(private: Any, tbs: bytes) -> bytes:
    if isinstance(private, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(private.sign(tbs, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if isinstance(private, rsa.RSAPrivateKey):
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_BYTES)
        return private.sign(tbs, pss, hashes.SHA256())
    signature: bytes = private.sign(tbs)
    return signature


def certificate(private: Any, name: str, not_before: datetime, days: int = 365) -> bytes:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=days))
    )
    if isinstance(private, rsa.RSAPrivateKey):
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_BYTES)
        signed = cert.sign(private, hashes.SHA256(), rsa_padding=pss)
    else:
        signed = cert.sign(private, hashes.SHA256())
    return signed.public_bytes(Encoding.DER)


def p256_issuer(region: str, prefix: str, not_before: datetime) -> ForeignIssuer:
    private = ec.generate_private_key(ec.SECP256R1())
    der = certificate(private, "DSC P-256", not_before)
    return ForeignIssuer(prefix, -7, private, certificate_kid(der), certificate_entry(der, region))


def rsa_pss_issuer(region: str, prefix: str, not_before: datetime) -> ForeignIssuer:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = certificate(private, "DSC RSA-PSS", not_before)
    return ForeignIssuer(prefix, -37, private, certificate_kid(der), certificate_entry(der, region))


def ed25519_issuer(region: str, prefix: str, not_before: datetime) -> ForeignIssuer:
    private = ed25519.Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes_raw()
    kid = b"zj-key-1"
    jwk = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url(raw),
        "kid": b64url(kid),
        "nbf": int(not_before.timestamp()),
        "region": region,
    }
    return ForeignIssuer(prefix, -19, private, kid, jwk)


def foreign_claims(at: datetime, *, colour: int = 0, minutes: int = 60) -> dict[Any, Any]:
    iat = int(at.timestamp())
    return {
        1: "CN-42",
        6: iat,
        4: iat + minutes * 60,
        7: b"\x01" * 16,
        -260: {1: {"c": colour, "n": "李*", "t": "健康码"}},
    }
