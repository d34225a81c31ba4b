/* The offline scanner page (/staff/scanner): a text field for a keyboard-wedge
   scanner or pasted text, verified here with verify.js against the lists kept in
   IndexedDB; the result screen; and a queue of scan records uploaded when online.

   The camera (another module) calls scanText(text) with what it decoded:
   import { scanText } from "./scanner.js" (the page loads this file by that plain
   URL, so both share one instance). */
import { checkPerson, fingerprint, trim } from "./verify.js";
import { verifyScan } from "./foreign.js";
import { dbDo, loadLists, openDb } from "./lists.js";

const root = document.querySelector("[data-scanner]");
const data = root ? root.dataset : {};
const words = root ? JSON.parse(data.words) : {};
/* each policy's checkpoint words, in the page's language: {id: {actions: {colour}, fever}} */
const policies = root && data.policies ? JSON.parse(data.policies) : {};
const venue = data.venue || null;
let lists = null, uploading = null;
let last = null;  /* the code just scanned: {result, record, shown} (the ID-card lane's subject) */
/* The client_id of a valid green code on screen, not uploaded yet: the guard may still
   record its temperature (a fever is not released). Let go at the next scan, the
   "next scan" button or a reading; a page closed keeps it queued for the next load. */
let held = null;

function say(template, values) {
  return template.replace(/\{(\w+)\}/g, function (all, name) { return name in values ? values[name] : all; });
}

const shanghai = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

function when(seconds) {
  const p = {};
  for (const part of shanghai.formatToParts(new Date(seconds * 1000))) { p[part.type] = part.value; }
  return p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute;
}

function uuid() {
  if (crypto.randomUUID) { return crypto.randomUUID(); }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
}

function el(id) { return document.getElementById(id); }
const idField = root ? el("id-number") : null;

/* ---- lists -------------------------------------------------------------------------- */

function showLists() {
  const box = el("scanner-lists");
  if (!box || !lists) { return; }
  box.classList.toggle("warn", lists.stale);
  if (lists.age === null) {
    box.textContent = words.no_lists;
  } else {
    const issued = Date.now() / 1000 - lists.age;
    box.textContent = say(words.lists_age, { time: when(issued) })
      + (lists.stale ? " " + say(words.lists_stale, { days: data.warnDays }) : "");
  }
}

/** Refresh the lists (from the server when online, else from IndexedDB). */
export async function refreshLists() {
  lists = await loadLists({
    pinned: data.listKeys ? JSON.parse(data.listKeys) : null,
    online: navigator.onLine,
    warnDays: Number(data.warnDays),
  });
  showLists();
  return lists;
}

/* ---- the result screen ------------------------------------------------------------- */

function render(result, scannedAt) {
  const box = el("scan-result"), claims = result.claims;
  const refused = !result.ok, foreign = Boolean(result.foreign);
  /* another region's code: its colour is where its region entry says, if anywhere;
     a fever keeps the colour (the code is genuine), as on the online screen */
  const colour = refused && !result.fever ? "refused" : codeColour(result);
  box.hidden = false;
  box.className = "card scan-result c-" + (refused ? "red" : colour);
  box.dataset.verdict = refused ? "refused" : "valid";
  box.dataset.reason = result.reason || "";
  box.dataset.region = foreign ? result.region.code : "";
  el("scan-icon").textContent = words.icons[refused ? "refused" : colour];
  el("scan-word").textContent = refused && !result.fever ? words.refused
    : (foreign && !result.colour ? words.no_colour : words.colours[colour]);
  el("scan-action").textContent = action(result, colour);
  el("scan-region").hidden = !foreign;
  el("scan-region").textContent = foreign ? say(words.region, { region: result.region.name }) : "";
  el("scan-who").textContent = claims && !foreign ? claims.masked_name + "  " + claims.masked_id : "";
  /* The pass's end (claim u), as the online screen shows it; never the on-screen
     code's own expiry (a minute away: a guard read it as the pass's end). A code
     with no pass (a health code) or another region's shows no end. */
  const ours = claims && !foreign ? claims : null;
  const passEnd = ours ? ours.pass_valid_until : null;
  el("scan-valid").textContent = passEnd ? say(words.pass_until, { time: when(passEnd) }) : "";
  el("scan-valid").hidden = !passEnd;
  /* a live code's freshness is a check (why a screenshot is refused), not a validity */
  const live = Boolean(ours) && !refused && ours.purpose !== "paper";
  el("scan-fresh").textContent = live ? words.live : "";
  el("scan-fresh").hidden = !live;
  el("scan-reason").textContent = refused ? words.reasons[result.reason] || result.reason : words.valid;
  el("scan-time").textContent = say(words.scanned_at, { time: when(scannedAt) });
  const card = el("scan-card");
  card.textContent = idNote(result);
  box.dataset.lane = result.idChecked ? "id_card" : "";
  box.focus();
}

/* What the guard does: the policy's checkpoint words for the code's colour (as the
   online result screen), else the generic ones; a refused code: stop. */
function action(result, colour) {
  const own = policyOf(result);
  if (result.fever) { return (own && own.fever) || words.stop; }
  if (!result.ok) { return words.stop; }
  const text = own ? own.actions[colour] : null;
  if (text) { return text; }
  return colour === "green" ? words.may_pass : words.stop;
}

function policyOf(result) {
  return !result.foreign && result.claims ? policies[result.claims.policy] || null : null;
}

function codeColour(result) {
  if (result.foreign) { return result.colour || "pending"; }
  return result.claims ? result.claims.colour : null;
}

/* ---- the temperature (a valid green code, as on the online result screen) ----------- */

/* The form while the code on screen is a valid green one without a reading; the
   reading once taken. */
function showTemperature() {
  const form = el("temp-form"), line = el("scan-temp");
  const shown = last ? last.shown : null, reading = last ? last.record.temperature : undefined;
  const taken = reading !== undefined && reading !== null;
  form.hidden = !(shown && shown.ok && codeColour(shown) === "green" && !taken);
  el("temperature").value = "";
  el("temp-error").hidden = true;
  line.hidden = !taken;
  line.textContent = taken ? say(words.temp_recorded, { value: String(reading) }) : "";
}

/* A reading as the online screen reads it (36.5, 36,5, 36.5℃), or null if not one. */
function reading(raw) {
  const text = String(raw).trim().replace(/，/g, ".").replace(/,/g, ".").replace(/[℃°C ]+$/, "");
  return /^\d{1,3}(\.\d+)?$/.test(text) ? Number(text) : null;
}

/** Record a temperature for the valid green code on screen: at or above its policy's
    fever line it is a fever (refused, not released; the server records it so too),
    else it stays releasable. The queued record carries it; it then goes up. Returns
    the result shown, or null when the reading was not taken. */
export async function recordTemperature(raw) {
  const error = el("temp-error");
  if (!last || el("temp-form").hidden) { return null; }
  const value = reading(raw);
  const low = Number(data.lowestC), high = Number(data.highestC);
  if (value === null || value < low || value > high) {
    error.textContent = value === null ? words.temp_number : words.temp_range;
    error.hidden = false;
    return null;
  }
  const own = policyOf(last.shown);
  const fever = value >= (own ? own.fever_line : Number(data.feverLine));
  const changes = fever ? { temperature: value, verdict: "refused", reason: "fever" } : { temperature: value };
  await updateQueued(Object.assign({}, last.record, changes));
  if (fever) {
    last.shown = Object.assign({}, last.shown, { ok: false, reason: "fever", fever: true });
    render(last.shown, last.scannedAt);
  }
  showTemperature();
  letGo();
  return last.shown;
}

/* the record on screen is final: it may go up */
function letGo() {
  held = null;
  if (navigator.onLine) { uploadQueue(); }
}

/* What the ID-card check said: nothing before one; a device code was compared exactly,
   a token only by the first and last four characters its masked number shows. */
function idNote(result) {
  if (!result.idChecked) { return ""; }
  if (result.reason === "wrong_person") { return words.id_mismatch; }
  if (!result.ok) { return ""; }
  return result.claims.purpose === "device" ? words.id_exact : words.id_partial;
}

/* ---- the queue ----------------------------------------------------------------------- */

async function queued() {
  const db = await openDb();
  try { return await dbDo(db, "queue", "readonly", (s) => s.getAll()); } finally { db.close(); }
}

async function showQueue() {
  const box = el("scanner-queue");
  if (!box) { return; }
  const waiting = (await queued()).length;
  box.textContent = waiting ? say(words.queued, { count: waiting }) : words.queue_empty;
  box.dataset.waiting = String(waiting);
}

async function enqueue(record) {
  const db = await openDb();
  try { await dbDo(db, "queue", "readwrite", (s) => s.put(record)); } finally { db.close(); }
}

/* Scans the server did not record (a time or a reading it does not take), kept on
   this device until the guard notes them: they leave the queue, never without a word. */
const UNRECORDED = "hc-scanner-unrecorded";
const MAX_UNRECORDED = 100;

function unrecorded() {
  try { return JSON.parse(localStorage.getItem(UNRECORDED) || "[]"); } catch (e) { return []; }
}

function showUnrecorded() {
  const box = el("scanner-unrecorded");
  if (!box) { return; }
  const mine = unrecorded().filter((u) => u.venue_id === venue);
  box.hidden = !mine.length;
  el("scanner-unrecorded-title").textContent = words.not_recorded;
  el("scanner-unrecorded-list").replaceChildren(...mine.map(function (u) {
    const li = document.createElement("li");
    li.dataset.clientId = u.client_id;
    li.dataset.reason = u.reason;
    li.textContent = say(words.not_recorded_item, { time: when(u.at), why: u.message });
    return li;
  }));
}

function noteUnrecorded(records, refused) {
  const byId = new Map(records.map((r) => [r.client_id, r]));
  const found = refused.filter((r) => !r.recorded && byId.has(r.client_id)).map(function (r) {
    return { client_id: r.client_id, venue_id: venue, reason: r.reason, field: r.field,
      message: r.message, at: Date.parse(byId.get(r.client_id).scanned_at) / 1000 };
  });
  if (!found.length) { return; }
  localStorage.setItem(UNRECORDED, JSON.stringify(unrecorded().concat(found).slice(-MAX_UNRECORDED)));
  showUnrecorded();
}

/* One request of at most data-max-batch records (the API's limit: a longer queue, a
   long day offline, goes up in several). */
async function upload() {
  const waiting = (await queued()).filter((r) => venue && r.venue_id === venue && r.client_id !== held);
  if (!waiting.length || !data.upload) { return { sent: 0 }; }
  const outcome = { sent: 0, accepted: [], duplicates: [], refused: [] };
  const size = Number(data.maxBatch) || 500;
  for (let start = 0; start < waiting.length; start += size) {
    const part = await uploadPart(waiting.slice(start, start + size));
    outcome.sent += part.sent;
    for (const key of ["accepted", "duplicates", "refused"]) { outcome[key].push(...part[key]); }
  }
  return outcome;
}

async function uploadPart(records) {
  const body = { scans: records.map(function (r) {
    const scan = { client_id: r.client_id, token: r.token, scanned_at: r.scanned_at };
    if (r.temperature !== undefined && r.temperature !== null) { scan.temperature = r.temperature; }
    if (r.lane === "id_card" && r.reason === "wrong_person") { scan.wrong_person = true; }
    return scan;
  }) };
  const csrf = document.querySelector("meta[name=csrf-token]");
  const answer = await fetch(data.upload, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json",
      "X-CSRF-Token": csrf ? csrf.content : "" },
    body: JSON.stringify(body),
  });
  if (!answer.ok) { throw new Error("upload: HTTP " + answer.status); }
  const result = await answer.json();
  const done = new Set([...(result.accepted || []), ...(result.duplicates || []),
    ...(result.refused || []).map((r) => r.client_id)]);
  const db = await openDb();
  try {
    await dbDo(db, "queue", "readwrite", function (s) {
      let last = null;
      for (const r of records) { if (done.has(r.client_id)) { last = s.delete(r.client_id); } }
      return last;
    });
  } finally { db.close(); }
  noteUnrecorded(records, result.refused || []);
  return { sent: records.length, accepted: result.accepted || [], duplicates: result.duplicates || [],
    refused: result.refused || [] };
}

/** Upload the queued records of this venue once (concurrent calls share one upload);
    what the server acknowledged leaves the queue, the rest waits for the next try. */
export function uploadQueue() {
  if (!uploading) {
    uploading = upload().catch(function (error) { return { sent: 0, error: error.message }; })
      .then(async function (outcome) { uploading = null; await showQueue(); return outcome; });
  }
  return uploading;
}

/* ---- scanning ------------------------------------------------------------------------- */

/** Verify a scanned text, show the result, queue the scan record (and upload it when
    online). Returns the verification ({ok, reason, claims, kid}; for another region's
    code also {foreign, region, colour}: foreign.js verifyForeign). */
export async function scanText(text) {
  if (!lists) { await ready; }
  const now = Date.now() / 1000;
  const result = await verifyScan(String(text), {
    federation: lists.federation, trust: lists.trust, revoked: lists.revoked, now,
    windowSeconds: Number(data.windowSeconds) || undefined,
  });
  render(result, now);
  const record = {
    client_id: uuid(),
    token: trim(String(text)),
    fingerprint: fingerprint(text),
    verdict: result.ok ? "valid" : "refused",
    reason: result.reason,
    colour: result.foreign ? result.colour : (result.claims ? result.claims.colour : null),
    scanned_at: new Date(now * 1000).toISOString(),
    venue_id: venue,
    lane: "camera",  /* as services/scanning Lane: a code read (camera or wedge reader) */
  };
  /* the card is checked against what the screen shows, from the moment it shows it */
  held = result.ok && codeColour(result) === "green" ? record.client_id : null;
  const saved = enqueue(record);
  last = { result, record, scannedAt: now, saved, shown: result };
  showTemperature();
  idField.value = "";
  el("id-error").hidden = true;
  await saved;
  await showQueue();
  if (navigator.onLine) { uploadQueue(); }
  return result;
}

/** The ID-card lane: compare an ID number (typed, or a card reader's line) with the
    code just scanned, as Python's check_person does, and show the verdict. The scan's
    record, if still queued, notes the lane and the page's verdict; the upload says
    when the card was another person's (never the number), so the server records the
    refusal too. Returns the verification, or null without a scan. */
export async function checkIdCard(idNumber) {
  const error = el("id-error");
  if (!last) { error.textContent = words.id_no_scan; error.hidden = false; return null; }
  if (!trim(String(idNumber))) { error.textContent = words.id_empty; error.hidden = false; return null; }
  error.hidden = true;
  /* a fever stays refused: the card does not change the reading */
  const fever = Boolean(last.shown.fever);
  const result = fever ? Object.assign({}, last.shown) : checkPerson(last.result, trim(String(idNumber)));
  result.idChecked = true;
  last.shown = result;
  render(result, last.scannedAt);
  showTemperature();
  await last.saved;  /* its record is in the queue (unless uploaded since) */
  await updateQueued(Object.assign({}, last.record, fever ? { lane: "id_card" } : {
    lane: "id_card", verdict: result.ok ? "valid" : "refused", reason: result.reason,
  }));
  if (!result.ok && held === last.record.client_id) { letGo(); }  /* nothing to release */
  return result;
}

/* The record on screen as it stands now, in the queue if it is still there. */
async function updateQueued(record) {
  last.record = record;
  const db = await openDb();
  try {
    await dbDo(db, "queue", "readwrite", function (s) {
      const found = s.get(record.client_id);
      found.onsuccess = function () { if (found.result) { s.put(record); } };
      return found;
    });
  } finally { db.close(); }
}

export const ready = root ? refreshLists().then(showQueue).then(showUnrecorded).then(function () {
  root.dataset.ready = "true";
  if (navigator.onLine) { uploadQueue(); }
  return lists;
}) : Promise.resolve(null);

if (root) {
  const form = el("scan-form"), input = el("scan-text");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value;
    if (!trim(text)) { return; }
    input.value = "";
    scanText(text).then(function () { input.focus(); });
  });
  window.addEventListener("online", function () { refreshLists().then(uploadQueue); });
  window.addEventListener("offline", showLists);
  el("id-form").addEventListener("submit", function (event) {
    event.preventDefault();
    checkIdCard(idField.value).then(function (checked) { if (!checked) { idField.focus(); } });
  });
  el("temp-form").addEventListener("submit", function (event) {
    event.preventDefault();
    recordTemperature(el("temperature").value).then(function (shown) {
      if (!shown) { el("temperature").focus(); }
    });
  });
  el("unrecorded-noted").addEventListener("click", function () {
    localStorage.setItem(UNRECORDED, JSON.stringify(unrecorded().filter((u) => u.venue_id !== venue)));
    showUnrecorded();
  });
  el("scan-again").addEventListener("click", function () {
    el("scan-result").hidden = true;
    letGo();
    input.focus();
  });
}
