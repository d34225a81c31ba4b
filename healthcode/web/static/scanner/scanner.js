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
let last = null;  /* the code just scanned: {result, record} (the ID-card lane's subject) */

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
  /* another region's code: its colour is where its region entry says, if anywhere */
  const colour = refused ? "refused" : (foreign ? result.colour || "pending" : claims.colour);
  box.hidden = false;
  box.className = "card scan-result c-" + (refused ? "red" : colour);
  box.dataset.verdict = refused ? "refused" : "valid";
  box.dataset.reason = result.reason || "";
  box.dataset.region = foreign ? result.region.code : "";
  el("scan-icon").textContent = words.icons[colour];
  el("scan-word").textContent = refused ? words.refused
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
  if (!result.ok) { return words.stop; }
  const own = !result.foreign && result.claims ? policies[result.claims.policy] : null;
  const text = own ? own.actions[colour] : null;
  if (text) { return text; }
  return colour === "green" ? words.may_pass : words.stop;
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

async function upload() {
  const records = (await queued()).filter((r) => venue && r.venue_id === venue);
  if (!records.length || !data.upload) { return { sent: 0 }; }
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
  const saved = enqueue(record);
  last = { result, record, scannedAt: now, saved };
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
  const result = checkPerson(last.result, trim(String(idNumber)));
  result.idChecked = true;
  render(result, last.scannedAt);
  await last.saved;  /* its record is in the queue (unless uploaded since) */
  const record = Object.assign({}, last.record, {
    lane: "id_card", verdict: result.ok ? "valid" : "refused", reason: result.reason,
  });
  const db = await openDb();
  try {
    await dbDo(db, "queue", "readwrite", function (s) {
      const found = s.get(record.client_id);
      found.onsuccess = function () { if (found.result) { s.put(record); } };
      return found;
    });
  } finally { db.close(); }
  return result;
}

export const ready = root ? refreshLists().then(showQueue).then(function () {
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
  el("scan-again").addEventListener("click", function () { el("scan-result").hidden = true; input.focus(); });
}
