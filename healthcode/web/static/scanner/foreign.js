/* Other regions' codes in the browser, with the same layers, refusals and order as
   healthcode/domain/tokens/foreign.py, and the federated trust of the signed trust
   list (docs/keys.md: `regions` and KEYs; docs/federation.md).

   A foreign code is prefix + base45(zlib(COSE_Sign1)), read with a general CBOR
   decoder; the key is chosen by kid among its region's keys and must allow the
   message's algorithm: Ed25519 (-8, -19), ES256 (-7, P-256, raw r||s) or PS256 (-37,
   RSA-PSS SHA-256, salt 32, via WebCrypto, hence async). X.509 keys are read by a
   small strict DER reader: the SubjectPublicKeyInfo and the validity only. */
import { ed25519 } from "../vendor/noble/curves/ed25519.js";
import { p256 } from "../vendor/noble/curves/nist.js";
import { sha256 } from "../vendor/noble/hashes/sha2.js";
import {
  CborFloat, DEFAULT_LEEWAY_SECONDS, DEVICE_PREFIX, FormatError, Refusal, TOKEN_PREFIX,
  b45decode, cborDecode, epochTime, fromB64url, hex, trim, trustFromJwks, unzlib, verifyAny,
} from "./verify.js";

const MAX_TEXT_CHARS = 4296;
const MAX_FOREIGN_COSE_BYTES = 8192;
const MAX_KID_BYTES = 32;
const PSS_SALT_BYTES = 32;
const EXP = 4, NBF = 5, IAT = 6;
export const ALG = Object.freeze({ EDDSA: -8, ED25519: -19, ES256: -7, PS256: -37 });
const OID_EC = "2a8648ce3d0201", OID_P256 = "2a8648ce3d030107", OID_RSA = "2a864886f70d010101";
const REGION_CODE = /^[1-9]\d{5}$/, PREFIX = /^[A-Z0-9]{2,8}:$/;
const COLOURS = ["green", "yellow", "red"];

function isObject(value) { return value !== null && typeof value === "object" && !Array.isArray(value); }

/* ---- a strict DER reader: definite minimal lengths, nothing past the end --------- */

function der(data, at, tag, where) {
  if (at + 2 > data.length || data[at] !== tag) { throw new Error(where + ": expected DER tag " + tag.toString(16)); }
  let length = data[at + 1], start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 3 || start + n > data.length || data[start] === 0) { throw new Error(where + ": bad DER length"); }
    length = 0;
    for (let i = 0; i < n; i += 1) { length = length * 256 + data[start + i]; }
    if (length < 128) { throw new Error(where + ": DER length not minimal"); }
    start += n;
  }
  const end = start + length;
  if (end > data.length) { throw new Error(where + ": DER value truncated"); }
  return { start, end, content: data.subarray(start, end), whole: data.subarray(at, end) };
}

function derTime(data, at, where) {
  const tag = data[at];
  if (tag !== 0x17 && tag !== 0x18) { throw new Error(where + ": expected UTCTime or GeneralizedTime"); }
  const node = der(data, at, tag, where);
  const text = String.fromCharCode(...node.content);
  const match = (tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/).exec(text);
  if (!match) { throw new Error(where + ": time is not YYMMDDHHMMSSZ"); }
  let year = Number(match[1]);
  if (tag === 0x17) { year += year < 50 ? 2000 : 1900; }  /* RFC 5280 4.1.2.5.1 */
  const [month, day, hour, minute, second] = match.slice(2).map(Number);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new Error(where + ": not a calendar time");
  }
  return [Math.floor(ms / 1000), node.end];
}

/** The fields of a DER X.509 certificate this verifier needs: {spki (DER), algorithm
    (OID hex), parameters (OID hex or null), point (BIT STRING bytes), notBefore,
    notAfter (epoch seconds)}. Throws an Error naming the field for anything else. */
export function readCertificate(data, where = "certificate") {
  const cert = der(data, 0, 0x30, where);
  if (cert.end !== data.length) { throw new Error(where + ": bytes after the certificate"); }
  const tbs = der(data, cert.start, 0x30, where + ".tbsCertificate");
  let at = tbs.start;
  if (data[at] === 0xa0) { at = der(data, at, 0xa0, where + ".version").end; }
  at = der(data, at, 0x02, where + ".serialNumber").end;
  at = der(data, at, 0x30, where + ".signature").end;
  at = der(data, at, 0x30, where + ".issuer").end;
  const validity = der(data, at, 0x30, where + ".validity");
  const [notBefore, next] = derTime(data, validity.start, where + ".notBefore");
  const [notAfter, last] = derTime(data, next, where + ".notAfter");
  if (last !== validity.end) { throw new Error(where + ".validity: unexpected fields"); }
  at = der(data, validity.end, 0x30, where + ".subject").end;
  const spki = der(data, at, 0x30, where + ".subjectPublicKeyInfo");
  const algorithm = der(data, spki.start, 0x30, where + ".subjectPublicKeyInfo.algorithm");
  const oid = der(data, algorithm.start, 0x06, where + ".subjectPublicKeyInfo.algorithm");
  let parameters = null;
  if (oid.end < algorithm.end && data[oid.end] === 0x06) { parameters = hex(der(data, oid.end, 0x06, where).content); }
  const bits = der(data, algorithm.end, 0x03, where + ".subjectPublicKeyInfo.subjectPublicKey");
  if (bits.end !== spki.end || bits.content.length < 2 || bits.content[0] !== 0) {
    throw new Error(where + ".subjectPublicKeyInfo: not a whole-byte key");
  }
  return { spki: spki.whole, algorithm: hex(oid.content), parameters, point: bits.content.subarray(1), notBefore, notAfter };
}

/* ---- the federated trust of a signed trust list ---------------------------------- */

function optionalEpoch(jwk, name, where) {
  return name in jwk ? epochTime(jwk[name], where + "." + name) : null;
}

function kidOf(value, where) {
  const kid = fromB64url(value, where + ".kid");
  if (kid.length < 1 || kid.length > MAX_KID_BYTES) { throw new Error(where + ".kid: must be 1 to 32 bytes"); }
  return kid;
}

function colourRule(colour, where) {
  if (colour === null || colour === undefined) { return null; }
  if (!isObject(colour) || Object.keys(colour).sort().join(",") !== "claim,values") {
    throw new Error(where + ": must be {claim: [...], values: {...}}");
  }
  const path = colour.claim, values = colour.values;
  if (!Array.isArray(path) || !path.length || !path.every((s) => Number.isInteger(s) || typeof s === "string")) {
    throw new Error(where + ".claim: must be a non-empty list of keys");
  }
  if (!isObject(values) || !Object.keys(values).length) { throw new Error(where + ".values: must map claim values to colours"); }
  const texts = new Map(), numbers = new Map();
  for (const [wire, name] of Object.entries(values)) {
    if (!COLOURS.includes(name)) { throw new Error(where + ".values." + wire + ": must be green, yellow or red"); }
    texts.set(wire, name);
    if (/^-?\d{1,9}$/.test(wire)) { numbers.set(Number(wire), name); }  /* JSON keys are text */
  }
  return { path, texts, numbers };
}

/** A region entry of the trust list (federation.region_from_json). */
export function regionFromJson(entry, where = "region") {
  if (!isObject(entry)) { throw new Error(where + ": must be an object"); }
  const { code, name, prefixes } = entry;
  if (typeof code !== "string" || !REGION_CODE.test(code)) { throw new Error(where + ".code: must be a six-digit GB/T 2260 region code"); }
  if (typeof name !== "string" || name.length < 1 || name.length > 100) { throw new Error(where + ".name: must be a text of 1 to 100 characters"); }
  if (!Array.isArray(prefixes) || !prefixes.length) { throw new Error(where + ".prefixes: must be a non-empty list"); }
  prefixes.forEach(function (prefix, index) {
    if (typeof prefix !== "string" || !PREFIX.test(prefix)) { throw new Error(where + ".prefixes[" + index + "]: must be like CNHB1:"); }
  });
  return { code, name, prefixes: prefixes.slice(), colour: colourRule(entry.colour, where + ".colour") };
}

/** A KEY of the trust list (federation.key_from_json): an Ed25519 JWK or an x5c
    certificate (ECDSA P-256 for ES256, RSA of 2048+ bits for PS256). */
export async function keyFromJson(jwk, where = "key") {
  if (!isObject(jwk)) { throw new Error(where + ": must be an object"); }
  if ("d" in jwk) { throw new Error(where + ": private key material in a trust list"); }
  if (typeof jwk.region !== "string" || !REGION_CODE.test(jwk.region)) { throw new Error(where + ".region: must be a six-digit region code"); }
  const retiredAt = optionalEpoch(jwk, "retired", where);
  if ("x5c" in jwk) {
    const chain = jwk.x5c;
    if (!Array.isArray(chain) || chain.length !== 1 || typeof chain[0] !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(chain[0])) {
      throw new Error(where + ".x5c: must hold exactly one base64 DER certificate");
    }
    let data;
    try { data = Uint8Array.from(atob(chain[0]), (c) => c.charCodeAt(0)); }
    catch (error) { throw new Error(where + ".x5c[0]: not base64"); }
    const cert = readCertificate(data, where + ".x5c[0]");
    const key = { kid: hex("kid" in jwk ? kidOf(jwk.kid, where) : sha256(data).subarray(0, 8)), region: jwk.region,
      notBefore: cert.notBefore, notAfter: cert.notAfter, retiredAt };
    if (cert.algorithm === OID_EC && cert.parameters === OID_P256) {
      try { p256.Point.fromBytes(cert.point); } catch (error) { throw new Error(where + ".x5c[0]: not a P-256 point"); }
      return Object.assign(key, { type: "p256", publicKey: cert.point, algorithms: new Set([ALG.ES256]) });
    }
    if (cert.algorithm === OID_RSA) {
      let cryptoKey;
      try {
        cryptoKey = await crypto.subtle.importKey("spki", cert.spki, { name: "RSA-PSS", hash: "SHA-256" }, false, ["verify"]);
      } catch (error) { throw new Error(where + ".x5c[0]: not an RSA public key"); }
      if (cryptoKey.algorithm.modulusLength >= 2048) {
        return Object.assign(key, { type: "rsa", publicKey: cryptoKey, algorithms: new Set([ALG.PS256]) });
      }
    }
    throw new Error(where + ".x5c[0]: key must be ECDSA P-256 or RSA of 2048+ bits");
  }
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519") { throw new Error(where + ": must be an Ed25519 JWK (kty OKP) or carry x5c"); }
  const raw = fromB64url(jwk.x, where + ".x");
  try { ed25519.Point.fromBytes(raw); } catch (error) { throw new Error(where + ".x: not an Ed25519 public key"); }
  return { kid: hex(kidOf(jwk.kid, where)), region: jwk.region, type: "ed25519", publicKey: raw,
    algorithms: new Set([ALG.EDDSA, ALG.ED25519]), notBefore: optionalEpoch(jwk, "nbf", where),
    notAfter: optionalEpoch(jwk, "exp", where), retiredAt };
}

/** The federated trust of a (verified, applied) trust list {regions, keys}:
    {regions, keys: Map kid hex -> key, ours: Map region code -> trust Map of our
    codes' Ed25519 keys (trustFromJwks) for the regions signing CNHC1:/CNHC2:}. */
export async function federationFromList(list) {
  if (!isObject(list) || !Array.isArray(list.regions) || !Array.isArray(list.keys)) {
    throw new Error("a trust list must carry regions and keys arrays");
  }
  const regions = list.regions.map((entry, i) => regionFromJson(entry, "regions[" + i + "]"));
  const keys = new Map();
  for (let i = 0; i < list.keys.length; i += 1) {
    const key = await keyFromJson(list.keys[i], "keys[" + i + "]");
    keys.set(key.kid, key);
  }
  const ours = new Map();
  for (const region of regions) {
    if (region.prefixes.includes(TOKEN_PREFIX) || region.prefixes.includes(DEVICE_PREFIX)) {
      const own = list.keys.filter((k) => isObject(k) && k.region === region.code && k.kty === "OKP");
      ours.set(region.code, trustFromJwks({ keys: own }));
    }
  }
  return { regions, keys, ours };
}

/** The region whose prefix the (trimmed) text starts with, the longest match. */
export function regionFor(federation, text) {
  let best = null, bestLength = -1;
  for (const region of federation.regions) {
    if (!region.prefixes.some((p) => text.startsWith(p))) { continue; }
    const length = Math.max(...region.prefixes.map((p) => p.length));
    if (length > bestLength) { best = region; bestLength = length; }
  }
  return best;
}

/* ---- a foreign code ----------------------------------------------------------------- */

class Refused extends Error {
  constructor(layer, reason, detail) { super(detail); this.layer = layer; this.reason = reason; }
}

class Tagged { constructor(tag, value) { this.tag = tag; this.value = value; } }
const TAGS = [];
TAGS[18] = (decode) => new Tagged(18, decode());

/** The claims as sent, for a screen: maps as objects (keys as text), bytes as hex. */
export function asSent(value) {
  if (value instanceof Map) {
    const out = {};
    for (const [k, v] of value) { out[String(k)] = asSent(v); }
    return out;
  }
  if (Array.isArray(value)) { return value.map(asSent); }
  if (value instanceof Uint8Array) { return hex(value); }
  if (value instanceof CborFloat) { return value.value; }
  if (typeof value === "bigint") { return value.toString(); }
  return value;
}

/** The colour a region's rule reads from the claims (ColourRule.read), or null. */
export function readColour(rule, claims) {
  if (!rule || !claims) { return null; }
  let node = claims;
  for (const step of rule.path) {
    if (!(node instanceof Map) || !node.has(step)) { return null; }
    node = node.get(step);
  }
  if (node instanceof CborFloat) { node = node.value; }
  if (typeof node === "string") { return rule.texts.get(node) || null; }
  if (typeof node === "number") { return rule.numbers.get(node) || null; }
  return null;
}

function sigStructure(protectedHeader, payload) {
  const head = (n) => (n < 24 ? [0x40 + n] : n < 0x100 ? [0x58, n] : [0x59, n >> 8, n & 0xff]);
  const parts = [[0x84, 0x6a, ...new TextEncoder().encode("Signature1")], head(protectedHeader.length), protectedHeader,
    [0x40], head(payload.length), payload];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

async function signatureOk(key, alg, message, signature) {
  try {
    if (key.type === "ed25519") { return ed25519.verify(signature, message, key.publicKey, { zip215: false }); }
    if (key.type === "p256" && alg === ALG.ES256) {
      return signature.length === 64
        && p256.verify(signature, message, key.publicKey, { lowS: false, prehash: true, format: "compact" });
    }
    if (key.type === "rsa" && alg === ALG.PS256) {
      return await crypto.subtle.verify({ name: "RSA-PSS", saltLength: PSS_SALT_BYTES }, key.publicKey, signature, message);
    }
  } catch (error) {
    return false;
  }
  return false;
}

function outerLayers(text, region) {
  if (!region.prefixes.some((p) => text.startsWith(p)) || text.length > MAX_TEXT_CHARS) {
    throw new Refused("prefix", Refusal.BAD_PREFIX, "no prefix of this region");
  }
  const prefix = region.prefixes.find((p) => text.startsWith(p));
  let compressed;
  try { compressed = b45decode(text.slice(prefix.length)); }
  catch (error) { throw new Refused("base45", Refusal.BAD_ENCODING, error.message); }
  try { return unzlib(compressed, MAX_FOREIGN_COSE_BYTES); }
  catch (error) {
    if (error instanceof FormatError) { throw new Refused("zlib", Refusal.BAD_ENCODING, error.message); }
    throw error;
  }
}

function coseLayer(cose) {
  const bad = (detail) => new Refused("cose", Refusal.BAD_ENCODING, detail);
  let message;
  try { message = cborDecode(cose, { tags: TAGS }); } catch (error) { throw bad("not CBOR"); }
  if (message instanceof Tagged) { message = message.value; }
  if (!Array.isArray(message) || message.length !== 4) { throw bad("not a COSE_Sign1 array of four"); }
  const [protectedHeader, unprotected, payload, signature] = message;
  if (![protectedHeader, payload, signature].every((p) => p instanceof Uint8Array)) {
    throw bad("protected, payload, signature not bytes");
  }
  let headers;
  try { headers = protectedHeader.length ? cborDecode(protectedHeader) : new Map(); }
  catch (error) { throw bad("protected header is not CBOR"); }
  if (!(headers instanceof Map) || !(unprotected instanceof Map)) { throw bad("headers are not maps"); }
  const alg = headers.get(1);
  const kid = headers.has(4) ? headers.get(4) : unprotected.get(4);  /* the EU DCC allows an unprotected kid */
  if (!Number.isInteger(alg) || !(kid instanceof Uint8Array)) { throw bad("no protected alg or no kid"); }
  return { protectedHeader, payload, signature, kid, alg };
}

/** Verify another region's code at epoch second `at` with that region's keys (a Map
    kid hex -> key of keyFromJson): {ok, reason, layer, detail, region, kid, alg,
    claims (as sent, or null), colour (by the region's rule, or null), foreign}. */
export async function verifyForeign(text, region, keys, at, leeway = DEFAULT_LEEWAY_SECONDS) {
  const state = {};
  try {
    const cose = outerLayers(trim(text), region);
    const sign1 = coseLayer(cose);
    state.kid = hex(sign1.kid); state.alg = sign1.alg;
    const key = keys.get(state.kid);
    if (key === undefined || key.region !== region.code) { throw new Refused("key", Refusal.UNKNOWN_KEY, "kid " + state.kid + " not in the region's keys"); }
    if (key.retiredAt !== null && at >= key.retiredAt) { throw new Refused("key", Refusal.KEY_RETIRED, "kid " + state.kid + " withdrawn"); }
    if (!key.algorithms.has(sign1.alg)) { throw new Refused("key", Refusal.BAD_SIGNATURE, "alg " + sign1.alg + " not allowed for this key"); }
    if (!await signatureOk(key, sign1.alg, sigStructure(sign1.protectedHeader, sign1.payload), sign1.signature)) {
      throw new Refused("signature", Refusal.BAD_SIGNATURE, "signature does not verify");
    }
    let claims;
    try { claims = cborDecode(sign1.payload); } catch (error) { throw new Refused("claims", Refusal.MALFORMED_CLAIMS, "payload is not CBOR"); }
    if (!(claims instanceof Map)) { throw new Refused("claims", Refusal.MALFORMED_CLAIMS, "payload is not a map"); }
    state.claims = claims;
    const issued = claims.get(IAT), expires = claims.get(EXP), notBefore = claims.get(NBF);
    if (!Number.isInteger(issued) || !Number.isInteger(expires)) {
      throw new Refused("validity", Refusal.MALFORMED_CLAIMS, "no integer iat (6) and exp (4)");
    }
    if ((key.notBefore !== null && issued < key.notBefore) || (key.notAfter !== null && issued > key.notAfter)) {
      throw new Refused("validity", Refusal.KEY_RETIRED, "issued outside the key's window");
    }
    const start = Number.isInteger(notBefore) ? notBefore : issued;
    if (at + leeway < start) { throw new Refused("validity", Refusal.NOT_YET_VALID, "valid from " + start); }
    if (at >= expires + leeway) { throw new Refused("validity", Refusal.EXPIRED, "expired at " + expires); }
  } catch (error) {
    if (!(error instanceof Refused)) { throw error; }
    return foreignResult(region, error.reason, error.layer, error.message, state);
  }
  return foreignResult(region, null, null, "", state);
}

function foreignResult(region, reason, layer, detail, state) {
  return {
    ok: reason === null, reason, layer, detail, foreign: true,
    region: { code: region.code, name: region.name },
    kid: state.kid || null, alg: state.alg === undefined ? null : state.alg,
    claims: state.claims ? asSent(state.claims) : null,
    colour: readColour(region.colour, state.claims || null),
  };
}

/** Any scanned code with the federated trust (layers.verify_layers): ours (CNHC1:,
    CNHC2:) with our region's keys, another region's by its prefix with its keys.
    opts: {federation, now, purposes?, revoked?, leewaySeconds?, windowSeconds?}. */
export async function verifyScan(text, opts) {
  const { federation, ...rest } = opts;
  const trimmed = typeof text === "string" ? trim(text) : text;
  const region = federation && typeof trimmed === "string" ? regionFor(federation, trimmed) : null;
  const ours = typeof trimmed === "string" && (trimmed.startsWith(TOKEN_PREFIX) || trimmed.startsWith(DEVICE_PREFIX));
  if (region !== null && !ours) {
    const keys = new Map([...federation.keys].filter(([, key]) => key.region === region.code));
    return verifyForeign(text, region, keys, Math.floor(opts.now), opts.leewaySeconds);
  }
  const trust = rest.trust || (region && federation.ours.get(region.code)) || new Map();
  return verifyAny(text, Object.assign({}, rest, { trust }));
}
