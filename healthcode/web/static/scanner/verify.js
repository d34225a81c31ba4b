/* The browser's verifier of scanned codes: the same checks, in the same order and
   with the same refusal codes, as healthcode/domain/tokens/verify.py (verify_any).

   CNHC1: + base45(zlib(COSE_Sign1)) — display and paper tokens, signed (Ed25519)
   CNHC2: + base45(zlib(CBOR [attestation, time, signature])) — a phone's presentation
   of a signed attestation, signed again by the phone's own P-256 key.

   Layers, cheapest and outermost first: prefix, base45, zlib, COSE structure, key
   id, key retirement, signature; then on signed content only: the key's signing
   window, purpose, not-before, the pass's end, expiry, and revocation (tokens) or
   the phone's signature and the presentation window (device codes). A bad code is
   never an exception: the result names the reason. tests/web/scanning proves that
   this file and the Python verifier agree on one corpus. */
import { inflateSync } from "../vendor/fflate/browser.js";
import { decode as decodeCbor, Token, Tokenizer, Type } from "../vendor/cborg/cborg.js";
import { ed25519 } from "../vendor/noble/curves/ed25519.js";
import { p256 } from "../vendor/noble/curves/nist.js";
import { sha256 } from "../vendor/noble/hashes/sha2.js";

export const TOKEN_PREFIX = "CNHC1:";
export const DEVICE_PREFIX = "CNHC2:";
export const DEFAULT_LEEWAY_SECONDS = 5;
export const DEFAULT_WINDOW_SECONDS = 30;
export const SCANNABLE = Object.freeze(["display", "paper", "device"]);
const MAX_TEXT_CHARS = 4296;
const MAX_COSE_BYTES = 4096;
const MAX_EPOCH = 253402300799;
const KID_BYTES = 8;
const SALT_BYTES = 12, ID_HASH_BYTES = 16;  /* as domain/tokens/attestation.py */
const CLAIMS_KEY = -65537, DEVICE_CLAIMS_KEY = -65538;
const ISS = 1, EXP = 4, NBF = 5, IAT = 6, CTI = 7;
const PURPOSES = { d: "display", p: "paper" };
const COLOURS = { g: "green", y: "yellow", r: "red", p: "pending" };
const CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const B45 = new Int8Array(128).fill(-1);
for (let i = 0; i < CHARSET.length; i += 1) { B45[CHARSET.charCodeAt(i)] = i; }
const SIG_STRUCTURE_HEAD = new Uint8Array([0x84, 0x6a, ...new TextEncoder().encode("Signature1")]);
/* A CBOR float stays a float (cbor2 keeps 1.0 apart from 1, so a time sent as a float
   is refused in Python); cborg alone would hand JavaScript's number 1 for both. */
class CborFloat { constructor(value) { this.value = value; } }
class FloatKeepingTokenizer extends Tokenizer {
  next() {
    const token = super.next();
    return token.type === Type.float ? new Token(Type.float, new CborFloat(token.value), token.encodedLength) : token;
  }
}
const CBOR_OPTIONS = { strict: true, useMaps: true };
function cborDecode(data, extra) {
  const options = Object.assign({}, CBOR_OPTIONS, extra);
  return decodeCbor(data, Object.assign({ tokenizer: new FloatKeepingTokenizer(data, options) }, options));
}
/* Python's str.strip() whitespace (str.isspace): String.prototype.trim differs (it
   keeps \x1c-\x1f and \x85, which a reader may send, and strips \ufeff). */
const SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const AROUND = new RegExp("^[" + SPACE + "]+|[" + SPACE + "]+$", "g");

/** A code's text without the whitespace around it, exactly as codec.trim (Python). */
export function trim(text) { return text.replace(AROUND, ""); }

/** Refusal codes, as healthcode/domain/tokens/refusal.py (stable strings). */
export const Refusal = Object.freeze({
  BAD_PREFIX: "bad_prefix",
  BAD_ENCODING: "bad_encoding",
  UNKNOWN_KEY: "unknown_key",
  KEY_RETIRED: "key_retired",
  BAD_SIGNATURE: "bad_signature",
  MALFORMED_CLAIMS: "malformed_claims",
  WRONG_PURPOSE: "wrong_purpose",
  NOT_YET_VALID: "not_yet_valid",
  PASS_LAPSED: "pass_lapsed",
  EXPIRED: "expired",
  ATTESTATION_EXPIRED: "attestation_expired",
  DEVICE_SIGNATURE_BAD: "device_signature_bad",
  PRESENTATION_STALE: "presentation_stale",
  PRESENTATION_FROM_FUTURE: "presentation_from_future",
  REVOKED: "revoked",
  WRONG_PERSON: "wrong_person",
});

class FormatError extends Error {
  constructor(refusal, detail) { super(detail); this.refusal = refusal; }
}

class ClaimsError extends Error {}

function result(reason, claims, kid) {
  return { ok: reason === null, reason, claims: claims || null, kid: kid ? hex(kid) : null };
}

export function hex(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 1) { out += bytes[i].toString(16).padStart(2, "0"); }
  return out;
}

function fromB64url(text, where) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new Error(where + ": must be unpadded base64url");
  }
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  if (toB64url(bytes) !== text) { throw new Error(where + ": non-canonical base64url"); }
  return bytes;
}

function toB64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function equal(a, b) {
  if (a.length !== b.length) { return false; }
  for (let i = 0; i < a.length; i += 1) { if (a[i] !== b[i]) { return false; } }
  return true;
}

function epochTime(value, where) {
  if (!Number.isInteger(value) || value < 0 || value > MAX_EPOCH) {
    throw new Error(where + ": must be integer epoch seconds");
  }
  return value;
}

/* ---- trust and revocation lists ------------------------------------------------ */

/** The trusted keys of a JWK Set (GET /api/v1/trust-list), read as strictly as
    healthcode/domain/tokens/trustlist.py reads it: a Map of kid (hex) to key. */
export function trustFromJwks(document) {
  if (!document || typeof document !== "object" || !Array.isArray(document.keys)) {
    throw new Error('a JWK Set must be an object with a "keys" array');
  }
  const trust = new Map();
  document.keys.forEach(function (jwk, index) {
    const where = "keys[" + index + "]";
    if (!jwk || typeof jwk !== "object" || Array.isArray(jwk)) { throw new Error(where + ": a JWK must be an object"); }
    if ("d" in jwk) { throw new Error(where + ": private key material in a trust list"); }
    if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519") { throw new Error(where + ": not an Ed25519 key"); }
    if (("use" in jwk && jwk.use !== "sig") || ("alg" in jwk && jwk.alg !== "EdDSA")) {
      throw new Error(where + ": use and alg must be sig and EdDSA if present");
    }
    const publicKey = fromB64url(jwk.x, where + ".x");
    const kid = fromB64url(jwk.kid, where + ".kid");
    if (kid.length !== KID_BYTES) { throw new Error(where + ".kid: must be 8 bytes"); }
    if (publicKey.length !== 32) { throw new Error(where + ".x: an Ed25519 public key is 32 bytes"); }
    if (!equal(sha256(publicKey).subarray(0, KID_BYTES), kid)) {
      throw new Error(where + ": kid does not match the public key");
    }
    const key = {
      kid: hex(kid),
      publicKey,
      point: ed25519.Point.fromBytes(publicKey),  /* throws for a point off the curve */
      notBefore: epochTime(jwk.nbf, where + ".nbf"),
      notAfter: "exp" in jwk ? epochTime(jwk.exp, where + ".exp") : null,
      retiredAt: "retired" in jwk ? epochTime(jwk.retired, where + ".retired") : null,
    };
    if (key.notAfter !== null && key.notAfter < key.notBefore) {
      throw new Error(where + ": valid_until is before valid_from");
    }
    if (trust.has(key.kid)) { throw new Error(where + ": duplicate kid " + jwk.kid); }
    trust.set(key.kid, key);
  });
  return trust;
}

/** The revoked token ids of GET /api/v1/revocations, as a Set of hex strings. */
export function revokedFromList(list) {
  if (!Array.isArray(list)) { throw new Error("the revocation list must be an array"); }
  return new Set(list.map(function (entry, index) {
    if (!entry || typeof entry.token_id !== "string" || !/^[0-9a-f]{32}$/.test(entry.token_id)) {
      throw new Error("revocations[" + index + "].token_id: must be 32 hex digits");
    }
    return entry.token_id;
  }));
}

/* ---- encodings ------------------------------------------------------------------ */

/** Base45 (RFC 9285), rejecting exactly what domain/tokens/base45.py rejects. */
export function b45decode(text) {
  const n = text.length, rest = n % 3;
  if (rest === 1) { throw new FormatError(Refusal.BAD_ENCODING, "invalid base45 length"); }
  const out = new Uint8Array(2 * ((n - rest) / 3) + rest / 2);
  const digit = function (i) {
    const code = text.charCodeAt(i), value = code < 128 ? B45[code] : -1;
    if (value < 0) { throw new FormatError(Refusal.BAD_ENCODING, "invalid base45 character"); }
    return value;
  };
  for (let i = 0; i < n; i += 1) { digit(i); }  /* every character first, as Python */
  let o = 0, i = 0;
  for (; i + 3 <= n; i += 3) {
    const value = digit(i) + 45 * digit(i + 1) + 2025 * digit(i + 2);
    if (value > 0xffff) { throw new FormatError(Refusal.BAD_ENCODING, "base45 triplet out of range"); }
    out[o++] = value >> 8; out[o++] = value & 0xff;
  }
  if (rest) {
    const value = digit(i) + 45 * digit(i + 1);
    if (value > 0xff) { throw new FormatError(Refusal.BAD_ENCODING, "base45 pair out of range"); }
    out[o] = value;
  }
  return out;
}

function adler32(data) {
  let a = 1, b = 0;
  for (let i = 0; i < data.length;) {
    const end = Math.min(i + 3800, data.length);
    for (; i < end; i += 1) { a += data[i]; b += a; }
    a %= 65521; b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** A zlib stream (RFC 1950) inflated as Python's zlib.decompressobj reads it: header,
    one deflate stream, its Adler-32, nothing after it, at most MAX_COSE_BYTES out. */
function unzlib(data, max = MAX_COSE_BYTES) {
  if (data.length < 6) { throw new FormatError(Refusal.BAD_ENCODING, "zlib stream truncated"); }
  const cmf = data[0], flg = data[1];
  if ((cmf & 15) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0 || flg & 0x20) {
    throw new FormatError(Refusal.BAD_ENCODING, "zlib: invalid header");
  }
  let out;
  try {
    out = inflateSync(data.subarray(2, data.length - 4));
  } catch (error) {
    throw new FormatError(Refusal.BAD_ENCODING, "zlib: " + error.message);
  }
  const end = data.length - 4;
  const check = ((data[end] << 24) | (data[end + 1] << 16) | (data[end + 2] << 8) | data[end + 3]) >>> 0;
  /* A wrong checksum is also what trailing bytes look like (they stand where it is). */
  if (check !== adler32(out)) { throw new FormatError(Refusal.BAD_ENCODING, "zlib: bad checksum or trailing data"); }
  if (out.length > max) { throw new FormatError(Refusal.BAD_ENCODING, "zlib stream too long"); }
  return out;
}

/** Whether the bits inflate ignores are zero, as zlib writes them (codec.py
    _padding_is_zero): a stored block's header padding, and the final byte's padding
    (clear its highest set bit: if the output is unchanged, that bit was padding). */
function paddingIsZero(compressed, cose) {
  const first = compressed[2];
  if (((first >> 1) & 3) === 0 && first >> 3) { return false; }
  const last = compressed.length - 5, byte = compressed[last];
  if (!(byte & 0xfe)) { return true; }
  const altered = compressed.slice();
  altered[last] = byte ^ (1 << (31 - Math.clz32(byte)));
  try {
    return !equal(unzlib(altered), cose);
  } catch (error) {
    return true;
  }
}

/** The bytes behind the prefix, read alike for CNHC1: and CNHC2: (codec.decode_body). */
function decodeBody(text, prefix) {
  if (text.length > MAX_TEXT_CHARS) { throw new FormatError(Refusal.BAD_ENCODING, "text too long"); }
  const compressed = b45decode(text.slice(prefix.length));
  const body = unzlib(compressed);
  if (!paddingIsZero(compressed, body)) { throw new FormatError(Refusal.BAD_ENCODING, "deflate padding bits are set"); }
  return body;
}

/** The COSE bytes inside a CNHC1: text (trimmed), or a FormatError (codec.decode_text). */
function decodeText(text) {
  if (typeof text !== "string" || !(text = trim(text)).startsWith(TOKEN_PREFIX)) {
    throw new FormatError(Refusal.BAD_PREFIX, "text does not start with " + TOKEN_PREFIX);
  }
  return decodeBody(text, TOKEN_PREFIX);
}

function bstrHead(length) {
  if (length < 24) { return [0x40 + length]; }
  if (length < 0x100) { return [0x58, length]; }
  return [0x59, length >> 8, length & 0xff];
}

/** The byte string whose minimal CBOR head starts at `at`, and the offset after it. */
function readBstr(data, at) {
  const head = at < data.length ? data[at] : -1;
  let length, start;
  if (head >= 0x40 && head < 0x58) { length = head - 0x40; start = at + 1; }
  else if (head === 0x58 && at + 2 <= data.length) { length = data[at + 1]; start = at + 2; }
  else if (head === 0x59 && at + 3 <= data.length) { length = (data[at + 1] << 8) | data[at + 2]; start = at + 3; }
  else { throw new FormatError(Refusal.BAD_ENCODING, "expected a short byte string"); }
  const end = start + length;
  if (end > data.length || bstrHead(length).length !== start - at) {
    throw new FormatError(Refusal.BAD_ENCODING, "byte string truncated or not minimal");
  }
  return [data.subarray(start, end), end];
}

/** A COSE_Sign1 encoded exactly as we encode it (codec.parse_sign1):
    d2 84 | bstr(a2 01 27|32 04 bstr(kid)) (alg -8 or, RFC 9864, -19) | a0 | bstr(payload) | 58 40 signature. */
function parseSign1(data) {
  if (data[0] !== 0xd2 || data[1] !== 0x84) { throw new FormatError(Refusal.BAD_ENCODING, "not a tagged COSE_Sign1"); }
  let [protectedHeader, at] = readBstr(data, 2);
  if (protectedHeader.length < 4 || protectedHeader[0] !== 0xa2 || protectedHeader[1] !== 0x01
      || (protectedHeader[2] !== 0x27 && protectedHeader[2] !== 0x32) || protectedHeader[3] !== 0x04) {
    throw new FormatError(Refusal.BAD_ENCODING, "protected header is not {1: -8 or -19, 4: kid}");
  }
  const [kid, end] = readBstr(protectedHeader, 4);
  if (end !== protectedHeader.length || data[at] !== 0xa0) {
    throw new FormatError(Refusal.BAD_ENCODING, "unexpected COSE headers");
  }
  let payload;
  [payload, at] = readBstr(data, at + 1);
  if (data[at] !== 0x58 || data[at + 1] !== 0x40 || data.length !== at + 66) {
    throw new FormatError(Refusal.BAD_ENCODING, "signature is not 64 bytes at the end");
  }
  return { protectedHeader, kid, payload, signature: data.subarray(at + 2) };
}

function toBeSigned(sign1) {
  const parts = [SIG_STRUCTURE_HEAD, bstrHead(sign1.protectedHeader.length), sign1.protectedHeader,
    [0x40], bstrHead(sign1.payload.length), sign1.payload];
  const out = new Uint8Array(parts.reduce(function (n, p) { return n + p.length; }, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

/** The parts of a CNHC2: text: [bstr attestation, uint32 time, bstr(64) signature],
    read by hand with minimal heads only (attestation.decode_presentation). */
function decodePresentation(text) {
  text = trim(text);
  if (!text.startsWith(DEVICE_PREFIX)) {
    throw new FormatError(Refusal.BAD_PREFIX, "text does not start with " + DEVICE_PREFIX);
  }
  const body = decodeBody(text, DEVICE_PREFIX);
  const malformed = "not [attestation, time, signature]";
  if (body[0] !== 0x83) { throw new FormatError(Refusal.BAD_ENCODING, malformed); }
  const [attestation, at] = readBstr(body, 1);
  if (body[at] !== 0x1a || body[at + 5] !== 0x58 || body[at + 6] !== 0x40 || body.length - (at + 7) !== 64) {
    throw new FormatError(Refusal.BAD_ENCODING, malformed);
  }
  const seconds = ((body[at + 1] << 24) >>> 0) + (body[at + 2] << 16) + (body[at + 3] << 8) + body[at + 4];
  if (seconds < 0x10000) { throw new FormatError(Refusal.BAD_ENCODING, "time not minimally encoded"); }
  return { attestation, at: seconds, signature: body.subarray(at + 7) };
}

/* ---- keys and signatures ---------------------------------------------------------- */

function signer(sign1, trust, at) {
  const key = trust.get(hex(sign1.kid));
  if (key === undefined) { return result(Refusal.UNKNOWN_KEY, null, sign1.kid); }
  if (key.retiredAt !== null && at >= key.retiredAt) { return result(Refusal.KEY_RETIRED, null, sign1.kid); }
  let good = false;
  try {
    good = ed25519.verify(sign1.signature, toBeSigned(sign1), key.publicKey, { zip215: false });
  } catch (error) {
    good = false;
  }
  return good ? key : result(Refusal.BAD_SIGNATURE, null, sign1.kid);
}

function signedInWindow(key, issuedAt) {
  return key.notBefore <= issuedAt && (key.notAfter === null || issuedAt <= key.notAfter);
}

/* ---- claims ---------------------------------------------------------------------- */

function claimTime(value) {
  if (!Number.isInteger(value) || value < 0 || value > MAX_EPOCH) { throw new ClaimsError("a time is not integer epoch seconds"); }
  return value;
}

function claimText(value, filled) {
  if (typeof value !== "string" || (filled && value === "")) { throw new ClaimsError("a text claim is not text"); }
  return value;
}

function claimBytes(value) {
  if (!(value instanceof Uint8Array)) { throw new ClaimsError("expected bytes"); }
  return value;
}

function wire(table, value) {
  if (typeof value !== "string" || !Object.prototype.hasOwnProperty.call(table, value)) {
    throw new ClaimsError("unknown wire value");
  }
  return table[value];
}

function asMap(value) {
  if (!(value instanceof Map)) { throw new ClaimsError("claims are not a map"); }
  return value;
}

function need(map, key) {
  if (!map.has(key)) { throw new ClaimsError("missing claim " + key); }
  return map.get(key);
}

/** A token's claims (claims.claims_from_cbor) and its not-before second. */
function tokenClaims(payload) {
  const map = asMap(cborDecode(payload));
  const own = asMap(need(map, CLAIMS_KEY));
  const issued = claimTime(need(map, IAT));
  const notBefore = map.has(NBF) ? Math.max(issued, claimTime(map.get(NBF))) : issued;
  const until = own.get("u");
  const claims = {
    issuer: claimText(need(map, ISS), true),
    purpose: wire(PURPOSES, need(own, "p")),
    token_id: claimBytes(need(map, CTI)),
    issued_at: issued,
    expires_at: claimTime(need(map, EXP)),
    colour: wire(COLOURS, need(own, "c")),
    policy: claimText(need(own, "s"), true),
    policy_version: claimText(need(own, "v"), true),
    pass_valid_until: until === undefined || until === null ? null : claimTime(until),
    resident_ref: claimText(need(own, "r"), true),
    masked_name: claimText(need(own, "n"), false),
    masked_id: claimText(need(own, "i"), false),
  };
  if (claims.token_id.length !== 16) { throw new ClaimsError("token_id must be 16 bytes"); }
  if (claims.expires_at <= claims.issued_at) { throw new ClaimsError("expires_at must be after issued_at"); }
  return [claims, notBefore];
}

/** An attestation's claims (attestation.attestation_from_cbor). */
function attestationClaims(payload) {
  const map = asMap(cborDecode(payload));
  const own = asMap(need(map, DEVICE_CLAIMS_KEY));
  const until = own.get(4);
  const claims = {
    purpose: "device",
    issued_at: claimTime(need(map, IAT)),
    expires_at: claimTime(need(map, EXP)),
    colour: wire(COLOURS, need(own, 1)),
    policy: claimText(need(own, 2), true),
    policy_version: claimText(need(own, 3), true),
    pass_valid_until: until === undefined || until === null ? null : claimTime(until),
    device_key: claimBytes(need(own, 5)),
    pseudonym: claimBytes(need(own, 6)),
    id_salt: claimBytes(need(own, 7)),
    id_hash: claimBytes(need(own, 8)),
    masked_name: claimText(need(own, 9), false),
    masked_id: claimText(need(own, 10), false),
  };
  const device = claims.device_key;
  if (device.length !== 33 || (device[0] !== 2 && device[0] !== 3)) { throw new ClaimsError("bad device key"); }
  if (claims.id_salt.length !== SALT_BYTES || claims.id_hash.length !== ID_HASH_BYTES) { throw new ClaimsError("bad ID hash"); }
  if (claims.pseudonym.length === 0) { throw new ClaimsError("empty pseudonym"); }
  if (claims.expires_at <= claims.issued_at) { throw new ClaimsError("expires_at must be after issued_at"); }
  return claims;
}

function view(claims) {  /* what a screen and a record need: no raw bytes */
  const out = Object.assign({}, claims);
  for (const name of ["token_id", "device_key", "pseudonym", "id_salt", "id_hash"]) {
    if (out[name] instanceof Uint8Array) { out[name] = hex(out[name]); }
  }
  return out;
}

/* ---- the verifiers ------------------------------------------------------------------ */

function options(opts) {
  const o = { purposes: SCANNABLE, leewaySeconds: DEFAULT_LEEWAY_SECONDS,
    windowSeconds: DEFAULT_WINDOW_SECONDS, revoked: null };
  for (const [name, value] of Object.entries(opts)) { if (value !== undefined) { o[name] = value; } }
  if (!(o.trust instanceof Map)) { throw new TypeError("trust must be a Map from trustFromJwks"); }
  if (!Number.isFinite(o.now)) { throw new TypeError("now must be epoch seconds"); }
  if (typeof o.purposes === "string") { throw new TypeError("purposes must be an array, not one string"); }
  if (o.leewaySeconds < 0 || o.windowSeconds < 0) { throw new RangeError("leeway and window must not be negative"); }
  o.at = Math.floor(o.now);
  return o;
}

/** Verify a CNHC1: token at `now` (epoch seconds): {ok, reason, claims, kid}. */
export function verifyToken(text, opts) {
  const o = options(opts);
  let sign1;
  try {
    sign1 = parseSign1(decodeText(text));
  } catch (error) {
    if (error instanceof FormatError) { return result(error.refusal); }
    throw error;
  }
  const key = signer(sign1, o.trust, o.at);
  if (!("publicKey" in key)) { return key; }
  let claims, notBefore;
  try {
    [claims, notBefore] = tokenClaims(sign1.payload);
  } catch (error) {  /* signed, yet not our layout: no crash */
    return result(Refusal.MALFORMED_CLAIMS, null, sign1.kid);
  }
  let reason = null;
  const leeway = o.leewaySeconds, at = o.at;
  if (!signedInWindow(key, claims.issued_at)) { reason = Refusal.KEY_RETIRED; }
  else if (!o.purposes.includes(claims.purpose)) { reason = Refusal.WRONG_PURPOSE; }
  else if (at + leeway < notBefore) { reason = Refusal.NOT_YET_VALID; }
  else if (claims.pass_valid_until !== null && at >= claims.pass_valid_until) { reason = Refusal.PASS_LAPSED; }
  else if (at >= claims.expires_at + leeway) { reason = Refusal.EXPIRED; }
  else if (o.revoked && o.revoked.has(hex(claims.token_id))) { reason = Refusal.REVOKED; }
  return result(reason, view(claims), sign1.kid);
}

function presentationMessage(attestation, at) {
  const message = new Uint8Array(40);
  message.set(sha256(attestation), 0);
  const view = new DataView(message.buffer);
  view.setUint32(32, Math.floor(at / 0x100000000));
  view.setUint32(36, at >>> 0);
  return message;
}

function deviceSignatureOk(presentation, deviceKey) {
  try {
    return p256.verify(presentation.signature, presentationMessage(presentation.attestation, presentation.at),
      deviceKey, { lowS: false, prehash: true, format: "compact" });
  } catch (error) {  /* a device key off the curve, r or s out of range */
    return false;
  }
}

/** Verify a phone's CNHC2: presentation at `now`: our signature on the attestation,
    its claims and lifetime, the phone's signature, and the time window. */
export function verifyPresentation(text, opts) {
  const o = options(Object.assign({ purposes: ["device"] }, opts));
  let presentation, sign1;
  try {
    presentation = decodePresentation(text);
    sign1 = parseSign1(presentation.attestation);
  } catch (error) {
    if (error instanceof FormatError) { return result(error.refusal); }
    throw error;
  }
  const key = signer(sign1, o.trust, o.at);
  if (!("publicKey" in key)) { return key; }
  let claims;
  try {
    claims = attestationClaims(sign1.payload);
  } catch (error) {
    return result(Refusal.MALFORMED_CLAIMS, null, sign1.kid);
  }
  let reason = null;
  const leeway = o.leewaySeconds, at = o.at, window = o.windowSeconds;
  if (!signedInWindow(key, claims.issued_at)) { reason = Refusal.KEY_RETIRED; }
  else if (!o.purposes.includes("device")) { reason = Refusal.WRONG_PURPOSE; }
  /* issued_at may lead a scanner's clock by the window, as the presentation's time may */
  else if (at + window < claims.issued_at) { reason = Refusal.NOT_YET_VALID; }
  else if (claims.pass_valid_until !== null && at >= claims.pass_valid_until) { reason = Refusal.PASS_LAPSED; }
  else if (at >= claims.expires_at + leeway) { reason = Refusal.ATTESTATION_EXPIRED; }
  else if (!deviceSignatureOk(presentation, claims.device_key)) { reason = Refusal.DEVICE_SIGNATURE_BAD; }
  else if (presentation.at > at + window) { reason = Refusal.PRESENTATION_FROM_FUTURE; }
  else if (presentation.at < at - window) { reason = Refusal.PRESENTATION_STALE; }
  const shown = view(claims);
  shown.presented_at = presentation.at;
  return result(reason, shown, sign1.kid);
}

/** A device presentation (CNHC2:) or a signed token (CNHC1:), by prefix.
    opts: {trust: Map, now: epoch seconds, purposes?, revoked?: Set of hex token
    ids, leewaySeconds?, windowSeconds?}. Only misuse throws. */
export function verifyAny(text, opts) {
  if (typeof text === "string" && trim(text).startsWith(DEVICE_PREFIX)) {
    const { revoked, ...rest } = opts;  /* presentations carry no token id */
    return verifyPresentation(text, Object.assign({ purposes: SCANNABLE }, rest));
  }
  return verifyToken(text, opts);
}

/* ---- the ID card shown with a code (domain/tokens/subject.py) ------------------------ */

function idHash(saltHex, idNumber) {  /* attestation.id_hash: SHA-256(salt ‖ ID), 16 bytes */
  const salt = fromHex(saltHex), number = new TextEncoder().encode(trim(idNumber).toUpperCase());
  const message = new Uint8Array(salt.length + number.length);
  message.set(salt, 0);
  message.set(number, salt.length);
  return sha256(message).subarray(0, ID_HASH_BYTES);
}

function fromHex(text) {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i += 1) { out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16); }
  return out;
}

/** Whether `idNumber` (typed, or a card reader's text) is the code's subject, as
    same_person in Python: a device attestation compares the whole number with its
    salted hash (exactly); a CNHC1: token only the visible characters of its masked
    number (first and last four), each position as Python compares it. */
export function samePerson(claims, idNumber) {
  if (typeof idNumber !== "string") { throw new TypeError("idNumber must be a string"); }
  if (claims.purpose === "device") {
    return equal(idHash(claims.id_salt, idNumber), fromHex(claims.id_hash));
  }
  const masked = Array.from(claims.masked_id), card = Array.from(idNumber);
  if (masked.length !== card.length) { return false; }
  const upper = Array.from(idNumber.toUpperCase());
  if (upper.length !== masked.length) { return false; }  /* Python: zip(strict) raises */
  return masked.every(function (m, i) { return m === "*" || m === upper[i]; });
}

/** check_person: a valid result stays valid only if the card is the code's subject;
    anything else (refused, no claims) is returned as it is. A new object. */
export function checkPerson(verification, idNumber) {
  if (!verification.ok || verification.claims === null || samePerson(verification.claims, idNumber)) {
    return Object.assign({}, verification);
  }
  return Object.assign({}, verification, { ok: false, reason: Refusal.WRONG_PERSON });
}

/** The scan record's token fingerprint: SHA-256 of the trimmed text, hex. Codes are
    identified by token id server-side; this only lets a queue spot a repeat. */
export function fingerprint(text) {
  return hex(sha256(new TextEncoder().encode(trim(String(text)))));
}

/* for foreign.js (other regions' codes) */
export { FormatError, cborDecode, CborFloat, fromB64url, epochTime, unzlib };

/** Raw Ed25519 verification with @noble, for the benchmark's baseline. */
export function rawEd25519(signature, message, publicKey) {
  return ed25519.verify(signature, message, publicKey, { zip215: false });
}
