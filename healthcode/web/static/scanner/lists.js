/* The offline scanner's lists: the trust list (which keys sign codes) and the
   revocation list (revoked paper passes), fetched when online and kept in IndexedDB
   for days, so the scanner verifies with no network.

   Two forms (docs/keys.md, "Signed lists"): with pinned list-signing keys the
   scanner fetches the signed documents (compact JWS, Ed25519), checks them against
   those keys (or the list keys of the last trust list it verified), refuses an older
   version than it holds, and applies deltas; without pinned keys it reads the plain
   JWK Set and revocation array, trusting the TLS connection. */
import { ed25519 } from "../vendor/noble/curves/ed25519.js";
import { DEVICE_PREFIX, TOKEN_PREFIX, hex, revokedFromList, trustFromJwks } from "./verify.js";
import { federationFromList } from "./foreign.js";

const DB = "hc-scanner";
const DAY = 86400;
const TYPES = { trust: "hc-trust-list+jws", revocations: "hc-revocations+jws" };
const CTI = /^[0-9a-f]{32}$/;

/** Why a signed list was not applied (docs/keys.md refusal codes). */
export class ListError extends Error {
  constructor(code, detail) { super(code + ": " + detail); this.code = code; }
}

function unb64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) { throw new Error("not base64url"); }
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function isObject(value) { return value !== null && typeof value === "object" && !Array.isArray(value); }

function isEpoch(value) { return Number.isInteger(value) && value >= 0; }

/** The list-signing keys of a JWK Set, as a Map of kid (hex) to key: the same JWK
    form and checks as the code keys (kid = first 8 bytes of SHA-256(x)). */
export function listKeysFrom(jwks) {
  return trustFromJwks(jwks);
}

/** Check a signed list (compact JWS) of `kind` ("trust" or "revocations") and
    return its payload, or throw a ListError naming the refusal. `listKeys`: Map of
    trusted list keys; `held`: the list held now ({version, issued_at}) or null;
    `now`: epoch seconds. */
export function verifySignedList(text, kind, listKeys, held, now) {
  const parts = typeof text === "string" ? text.trim().split(".") : [];
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) {
    throw new ListError("unsigned", "not a compact JWS");
  }
  let header;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(unb64url(parts[0])));
  } catch (error) {
    throw new ListError("bad_list_header", "the header is not JSON");
  }
  const members = isObject(header) ? Object.keys(header).sort().join(",") : "";
  if (members !== "alg,kid,typ" || header.alg !== "EdDSA" || typeof header.kid !== "string") {
    throw new ListError("bad_list_header", "the header must be exactly alg EdDSA, kid, typ");
  }
  if (header.typ !== TYPES[kind]) {
    const known = Object.values(TYPES).includes(header.typ);
    throw new ListError(known ? "wrong_list_type" : "bad_list_header", "typ " + header.typ);
  }
  let kid;
  try { kid = hex(unb64url(header.kid)); } catch (error) { throw new ListError("bad_list_header", "kid"); }
  const key = listKeys.get(kid);
  if (key === undefined) { throw new ListError("unknown_list_key", "kid " + header.kid); }
  let signature;
  try { signature = unb64url(parts[2]); } catch (error) { signature = new Uint8Array(0); }
  const signed = new TextEncoder().encode(parts[0] + "." + parts[1]);
  let good = false;
  try { good = signature.length === 64 && ed25519.verify(signature, signed, key.publicKey, { zip215: false }); }
  catch (error) { good = false; }
  if (!good) { throw new ListError("bad_list_signature", "the signature does not verify"); }
  let payload;
  try {
    payload = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(unb64url(parts[1])));
  } catch (error) {
    throw new ListError("malformed_list", "the payload is not JSON");
  }
  if (!isObject(payload)) { throw new ListError("malformed_list", "the payload is not an object"); }
  if (payload.list !== kind) { throw new ListError("wrong_list_type", "list " + payload.list); }
  if (!Number.isInteger(payload.version) || payload.version < 1 || !isEpoch(payload.issued_at)) {
    throw new ListError("malformed_list", "version and issued_at must be integers");
  }
  if (key.retiredAt !== null && now >= key.retiredAt) {
    throw new ListError("list_key_retired", "signed by a withdrawn list key");
  }
  if (payload.issued_at < key.notBefore || (key.notAfter !== null && payload.issued_at > key.notAfter)) {
    throw new ListError("list_key_retired", "signed outside the list key's window");
  }
  if (held && (payload.version < held.version
      || (payload.version === held.version && payload.issued_at < held.issued_at))) {
    throw new ListError("list_rollback", "older than the list held (version " + held.version + ")");
  }
  if ("since" in payload && (!held || payload.since !== held.version)) {
    throw new ListError("delta_mismatch", "a delta from version " + payload.since);
  }
  return payload;
}

function arrayOf(value, where) {
  if (!Array.isArray(value)) { throw new ListError("malformed_list", where + " must be an array"); }
  return value;
}

/** The held trust list after applying a verified document (full or delta); async
    as an RSA key of another region is read by WebCrypto. */
export async function applyTrust(held, payload) {
  const keys = new Map();
  if ("since" in payload) { for (const jwk of held.keys) { keys.set(jwk.kid, jwk); } }
  for (const jwk of arrayOf(payload.keys, "keys")) {
    if (!isObject(jwk) || typeof jwk.kid !== "string") { throw new ListError("malformed_list", "a key without kid"); }
    keys.set(jwk.kid, jwk);
  }
  for (const kid of "since" in payload ? arrayOf(payload.removed || [], "removed") : []) { keys.delete(kid); }
  const next = { version: payload.version, issued_at: payload.issued_at,
    list_keys: arrayOf(payload.list_keys, "list_keys"),
    regions: "regions" in payload ? arrayOf(payload.regions, "regions") : [],
    keys: Array.from(keys.values()) };
  try {  /* all must read before the list replaces the held one */
    codeKeys(next); listKeysFrom({ keys: next.list_keys }); await federationFromList(next);
  } catch (error) {
    throw new ListError("malformed_list", error.message);
  }
  return next;
}

/** The held revocation list after applying a verified document (full or delta). */
export function applyRevocations(held, payload) {
  const revoked = new Set("since" in payload ? held.revoked : []);
  for (const entry of arrayOf(payload.revoked, "revoked")) {
    if (!isObject(entry) || typeof entry.cti !== "string" || !CTI.test(entry.cti)) {
      throw new ListError("malformed_list", "revoked[].cti must be 32 hex digits");
    }
    revoked.add(entry.cti);
  }
  for (const cti of "since" in payload ? arrayOf(payload.removed || [], "removed") : []) { revoked.delete(cti); }
  return { version: payload.version, issued_at: payload.issued_at, revoked: Array.from(revoked) };
}

/** Our codes' signing keys in a held trust list: the Ed25519 JWKs of the regions
    whose prefixes are ours (all Ed25519 JWKs of a plain list, which has no regions).
    Other regions' keys are read by federationFromList (foreign.js). */
function codeKeys(held) {
  const regions = held.regions || [];
  const ours = new Set(regions.filter((r) => r && Array.isArray(r.prefixes)
    && (r.prefixes.includes(TOKEN_PREFIX) || r.prefixes.includes(DEVICE_PREFIX))).map((r) => r.code));
  const own = (k) => k.kty === "OKP" && (!regions.length || ours.has(k.region));
  return trustFromJwks({ keys: held.keys.filter(own) });
}

/* ---- IndexedDB ------------------------------------------------------------------ */

export function openDb() {
  return new Promise(function (resolve, reject) {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = function () {
      request.result.createObjectStore("lists", { keyPath: "name" });
      request.result.createObjectStore("queue", { keyPath: "client_id" });
    };
    request.onsuccess = function () { resolve(request.result); };
    request.onerror = function () { reject(request.error); };
  });
}

export function dbDo(db, store, mode, act) {
  return new Promise(function (resolve, reject) {
    const tx = db.transaction(store, mode), request = act(tx.objectStore(store));
    tx.oncomplete = function () { resolve(request && request.result); };
    tx.onerror = function () { reject(tx.error); };
    tx.onabort = function () { reject(tx.error); };
  });
}

/* ---- loading ------------------------------------------------------------------------ */

async function fetchText(url) {
  const answer = await fetch(url, { credentials: "same-origin", cache: "no-store" });
  if (!answer.ok) { throw new Error(url + ": HTTP " + answer.status); }
  return answer.text();
}

async function refreshSigned(db, held, pinned, now) {
  const keys = new Map(pinned);
  if (held.trust) { for (const [kid, key] of listKeysFrom({ keys: held.trust.list_keys })) { keys.set(kid, key); } }
  const errors = [];
  for (const kind of ["trust", "revocations"]) {
    const current = held[kind] || null;
    const path = kind === "trust" ? "/api/v1/trust-list" : "/api/v1/revocations";
    try {
      const text = await fetchText(path + "?format=signed" + (current ? "&since=" + current.version : ""));
      const payload = verifySignedList(text, kind, keys, current, now);
      const next = kind === "trust" ? await applyTrust(current, payload) : applyRevocations(current, payload);
      next.name = kind; next.signed = true; next.fetched_at = now;
      await dbDo(db, "lists", "readwrite", (s) => s.put(next));
      held[kind] = next;
      if (kind === "trust") { for (const [kid, key] of listKeysFrom({ keys: next.list_keys })) { keys.set(kid, key); } }
    } catch (error) {
      errors.push({ list: kind, code: error.code || "offline", message: error.message });
    }
  }
  return errors;
}

async function refreshPlain(db, held, now) {
  const errors = [];
  try {
    const jwks = JSON.parse(await fetchText("/api/v1/trust-list"));
    trustFromJwks(jwks);
    held.trust = { name: "trust", signed: false, keys: jwks.keys, list_keys: [], issued_at: now, fetched_at: now };
    await dbDo(db, "lists", "readwrite", (s) => s.put(held.trust));
  } catch (error) { errors.push({ list: "trust", code: "offline", message: error.message }); }
  try {
    const list = JSON.parse(await fetchText("/api/v1/revocations"));
    held.revocations = { name: "revocations", signed: false, revoked: Array.from(revokedFromList(list)),
      issued_at: now, fetched_at: now };
    await dbDo(db, "lists", "readwrite", (s) => s.put(held.revocations));
  } catch (error) { errors.push({ list: "revocations", code: "offline", message: error.message }); }
  return errors;
}

/** The lists to verify with: refreshed from the server when `online`, else (or if
    that fails) those kept in IndexedDB. `pinned`: a JWK Set of list-signing keys, or
    null for the plain lists. Returns {trust: Map, federation (foreign.js; null for a
    plain list or one without regions), revoked: Set, age: seconds since
    the older list was issued (null if none held), stale: bool, errors: [...]}. */
export async function loadLists({ pinned = null, online = navigator.onLine, now = Date.now() / 1000, warnDays = 3 } = {}) {
  const db = await openDb();
  const held = {};
  for (const kind of ["trust", "revocations"]) {
    held[kind] = (await dbDo(db, "lists", "readonly", (s) => s.get(kind))) || null;
    /* a list kept from the other mode is not held: signed lists never build on plain ones */
    if (held[kind] && held[kind].signed !== Boolean(pinned)) { held[kind] = null; }
  }
  let errors = [];
  if (online) {
    errors = pinned ? await refreshSigned(db, held, listKeysFrom(pinned), now) : await refreshPlain(db, held, now);
  }
  db.close();
  const issued = [held.trust, held.revocations].map((l) => (l ? l.issued_at : null));
  const age = issued.includes(null) ? null : now - Math.min(...issued);
  const regions = held.trust && held.trust.regions && held.trust.regions.length;
  return {
    trust: held.trust ? codeKeys(held.trust) : new Map(),
    federation: regions ? await federationFromList(held.trust) : null,
    revoked: new Set(held.revocations ? held.revocations.revoked : []),
    age,
    stale: age === null || age > warnDays * DAY,
    versions: { trust: held.trust && held.trust.version, revocations: held.revocations && held.revocations.version },
    errors,
  };
}

