/* "The issuer is calling you": while the start page or a code page is open, ask the
   server whether a video call is ringing for me, and show it with a link to answer
   (the call page) until it stops ringing (an offer lasts 2 minutes). The pages include
   this only while an application awaits an issuer.

   First every 4 s, then ever more slowly up to every 30 s while nothing rings (a page
   left open on a phone asked every 4 s for days): a call is still seen well within its
   2 minutes. While one rings, every 4 s, to take it down when it stops. Hidden (a
   phone in a pocket), nothing is asked; shown again, it asks at once and quickly. */

const box = document.getElementById("incoming-call");
const FIRST_MS = 4000;
const LONGEST_MS = 30000;
const GROWTH = 1.5;
let shown = "";
let delay = FIRST_MS;
let timer = 0;
let asking = false;

async function poll() {
  clearTimeout(timer);
  if (asking || document.hidden) return;  /* hidden: asked again when shown */
  asking = true;
  let call = null;
  try {
    const answer = await fetch(box.dataset.poll, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    });
    if (answer.status === 401 || answer.status === 403) {
      document.removeEventListener("visibilitychange", onVisibility);
      return;  /* not a resident: stop */
    }
    if (answer.ok) call = (await answer.json()).call;
  } catch (offline) {
    /* offline: keep what is shown, ask again later (more slowly, like an empty answer) */
  } finally {
    asking = false;
  }
  render(call);
  if (call) delay = FIRST_MS;
  if (!document.hidden) timer = setTimeout(poll, delay);
  if (!call) delay = Math.min(LONGEST_MS, delay * GROWTH);
}

function onVisibility() {
  if (document.hidden) {
    clearTimeout(timer);
    return;
  }
  delay = FIRST_MS;
  poll();
}

function render(call) {
  const id = call ? call.id : "";
  if (id === shown) return;
  shown = id;
  box.replaceChildren();
  box.classList.toggle("banner", !!call);
  if (!call) return;
  const text = document.createElement("p");
  text.className = "incoming-call-text";
  text.textContent = call.text;
  const link = document.createElement("a");
  link.className = "button primary";
  link.href = call.url;
  link.textContent = box.dataset.sayAnswer;
  box.append(text, link);
}

if (box) {
  document.addEventListener("visibilitychange", onVisibility);
  poll();
}
