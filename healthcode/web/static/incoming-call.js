/* "The issuer is calling you": while the start page or a code page is open, ask the
   server every few seconds whether a video call is ringing for me, and show it with
   a link to answer (the call page) until it stops ringing (an offer lasts 2 minutes).
   The pages include this only while an application awaits an issuer. */

const box = document.getElementById("incoming-call");
const EVERY_MS = 4000;
let shown = "";

async function poll() {
  if (document.hidden) {  /* a phone in a pocket asks nothing; asked again when shown */
    document.addEventListener("visibilitychange", poll, { once: true });
    return;
  }
  let call = null;
  try {
    const answer = await fetch(box.dataset.poll, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    });
    if (answer.status === 401 || answer.status === 403) return;  /* not a resident: stop */
    if (answer.ok) call = (await answer.json()).call;
  } catch (offline) {
    /* offline: keep what is shown, ask again later */
  }
  render(call);
  setTimeout(poll, EVERY_MS);
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
  poll();
}
