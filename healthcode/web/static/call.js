/* The video call (视频通话): camera → RTCPeerConnection → the other browser, with the
   offer, answer and ICE candidates relayed by our server over a WebSocket
   (/calls/{id}/signal). The issuer offers once the applicant is in the room; the
   media never pass through our server. The page's words come from data-say-*. */

const root = document.getElementById("call");
const PING_MS = 5000;

function say(key, values) {
  let text = root.dataset["say" + key.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase())] || "";
  for (const [name, value] of Object.entries(values || {})) {
    text = text.replace("{" + name + "}", value);
  }
  return text;
}

function supported() {
  return "RTCPeerConnection" in window && "WebSocket" in window
    && !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

function start(el) {
  const status = document.getElementById("call-status");
  const show = (text) => { status.textContent = text; };
  if (el.dataset.status !== "ringing" && el.dataset.status !== "active") {
    return;
  }
  if (!supported()) {
    show(say("unsupported"));
    el.dataset.connection = "unsupported";
    return;
  }
  const call = new Call(el, show);
  if (el.dataset.party === "issuer") {
    call.connect();
  } else {
    const accept = document.getElementById("accept-call");
    if (accept) {
      accept.hidden = false;
      accept.addEventListener("click", () => {
        accept.disabled = true;
        document.getElementById("answer-actions").hidden = true;
        call.connect();
      });
    } else {
      call.connect();  /* already answered: this page was reopened */
    }
  }
  const form = document.getElementById("hang-up-form");
  if (form) {
    form.addEventListener("submit", (event) => {
      if (call.socket && call.socket.readyState === WebSocket.OPEN) {
        event.preventDefault();
        call.hangUp();
      }
    });
  }
  wireReading();
}

class Call {
  constructor(el, show) {
    this.el = el;
    this.show = show;
    this.party = el.dataset.party;
    this.socket = null;
    this.peer = null;
    this.stream = null;
    this.over = false;
    this.queue = Promise.resolve();
  }

  async connect() {
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } },
        audio: true,
      });
    } catch (error) {
      this.show(say("no-camera"));
      this.el.dataset.connection = "no-camera";
      return;
    }
    document.getElementById("call-stage").hidden = false;
    document.getElementById("local-video").srcObject = this.stream;
    this.show(say(this.party === "issuer" ? "waiting" : "connecting"));
    this.peer = this.newPeer();
    const url = new URL(this.el.dataset.signal, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    this.socket = new WebSocket(url);
    this.socket.addEventListener("message", (event) => {
      /* one at a time: a candidate must not overtake the offer it belongs to */
      this.queue = this.queue.then(() => this.receive(JSON.parse(event.data))).catch(() => {});
    });
    this.socket.addEventListener("close", (event) => this.closed(event.code));
    /* the server's clock says when an unanswered call stops ringing: ask it */
    this.pinger = setInterval(() => this.send({ type: "ping" }), PING_MS);
  }

  newPeer() {
    const peer = new RTCPeerConnection({ iceServers: JSON.parse(this.el.dataset.ice || "[]") });
    for (const track of this.stream.getTracks()) {
      peer.addTrack(track, this.stream);
    }
    peer.addEventListener("track", (event) => {
      document.getElementById("remote-video").srcObject = event.streams[0];
    });
    peer.addEventListener("icecandidate", (event) => {
      if (event.candidate) {
        this.send({ type: "candidate", candidate: event.candidate.toJSON() });
      }
    });
    peer.addEventListener("connectionstatechange", () => {
      this.el.dataset.connection = peer.connectionState;
      if (peer.connectionState === "connected") {
        this.show(say("connected"));
      } else if (peer.connectionState === "failed") {
        this.show(say("failed"));
      }
    });
    return peer;
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  /* A new connection for a new round: the other page may have been reloaded. */
  fresh() {
    if (this.peer.localDescription || this.peer.remoteDescription) {
      this.peer.close();
      this.peer = this.newPeer();
    }
  }

  async offer() {
    this.show(say("connecting"));
    this.fresh();
    await this.peer.setLocalDescription(await this.peer.createOffer());
    this.send({ type: "offer", description: this.peer.localDescription.toJSON() });
  }

  async receive(message) {
    switch (message.type) {
      case "joined":
        if (this.party === "issuer" && message.peer) await this.offer();
        break;
      case "peer-joined":
        if (this.party === "issuer") await this.offer();
        break;
      case "offer":
        this.fresh();
        await this.peer.setRemoteDescription(message.description);
        await this.peer.setLocalDescription(await this.peer.createAnswer());
        this.send({ type: "answer", description: this.peer.localDescription.toJSON() });
        break;
      case "answer":
        await this.peer.setRemoteDescription(message.description);
        break;
      case "candidate":
        await this.peer.addIceCandidate(message.candidate);
        break;
      case "peer-left":
        this.show(say("peer-left"));
        document.getElementById("remote-video").srcObject = null;
        this.el.dataset.connection = "waiting";
        break;
      case "reading": {
        const told = document.getElementById("reading-told");
        if (told) told.textContent = told.dataset.sayReading.replace("{value}", message.value);
        break;
      }
      case "ended":
        if (message.reason === "expired") this.finish(say("expired"));
        else this.finish(say(message.by === this.party ? "ended" : "ended-other"));
        break;
    }
  }

  hangUp() {
    this.send({ type: "bye" });
    this.finish(say("ended"));
  }

  closed(code) {
    const words = { 4401: "signed-out", 4404: "not-found", 4409: "replaced", 4410: "over" };
    this.finish(say(words[code] || "ended"));
  }

  finish(text) {
    if (this.over) return;
    this.over = true;
    clearInterval(this.pinger);
    this.show(text);
    this.el.dataset.connection = "closed";
    this.el.dataset.status = "ended";
    if (this.peer) this.peer.close();
    if (this.stream) this.stream.getTracks().forEach((track) => track.stop());
    const form = document.getElementById("hang-up-form");
    if (form) form.hidden = true;
    document.getElementById("call-stage").hidden = true;
  }
}

/* The issuer's reading: posted without leaving the page (leaving would end the call). */
function wireReading() {
  const form = document.getElementById("reading-form");
  if (!form) return;
  const input = document.getElementById("temperature");
  const error = document.getElementById("temperature-error");
  const saved = document.getElementById("reading-saved");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = document.querySelector("meta[name=csrf-token]").content;
    saved.textContent = "";
    let answer;
    try {
      answer = await fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { "X-CSRF-Token": token, Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch (failure) {
      form.submit();
      return;
    }
    const body = await answer.json().catch(() => ({}));
    if (answer.ok) {
      error.hidden = true;
      error.textContent = "";
      input.removeAttribute("aria-invalid");
      input.setAttribute("aria-describedby", "temperature-hint");
      saved.textContent = form.dataset.saySaved.replace("{value}", body.temperature);
      return;
    }
    const problem = body.error || {};
    const fields = problem.fields || [];
    error.textContent = fields.length ? fields.map((f) => f.message).join(" ") : problem.message || "";
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "temperature-hint temperature-error");
    input.focus();
  });
}

if (root) {
  start(root);
}
