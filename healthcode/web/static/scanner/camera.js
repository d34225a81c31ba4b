// Camera scanning: the phone's camera reads QR codes with barcode-detector (zxing-wasm
// inside), vendored with its wasm file and served from our own static files, never a
// CDN. The wasm needs 'wasm-unsafe-eval' in the page's script-src.
//
//   const camera = await startCamera(video, (text) => ..., { formats: ["qr_code"] });
//   camera.stop();
//
// startCamera asks for the camera (the browser shows its own prompt), reads frames
// until stopped, and hands each text to onText once: the same text again within
// `repeatMs` (3 s) is ignored, so a code held in front of the lens is one scan. The
// stream stops on stop(), when `once` is set and a text was read, and when the page is
// hidden or left. It rejects with a CameraError whose `reason` is "insecure",
// "unsupported", "denied", "absent" or "busy"; mountCamera below turns those into the
// page's own (translated) words and keeps the typed-text fallback usable.

import { BarcodeDetector, prepareZXingModule } from "../vendor/barcode-detector/ponyfill.js";

const WASM = new URL("../vendor/zxing-wasm/zxing_reader.wasm", import.meta.url).href;
let prepared = false;

function prepare() {
  if (prepared) return;
  prepared = true;
  prepareZXingModule({
    overrides: {
      locateFile: (path, prefix) => (path.endsWith(".wasm") ? WASM : prefix + path),
    },
    fireImmediately: false,
  });
}

export class CameraError extends Error {
  constructor(reason, cause) {
    super(reason);
    this.name = "CameraError";
    this.reason = reason;
    this.cause = cause;
  }
}

function reasonOf(error) {
  switch (error && error.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "denied";
    case "NotFoundError":
    case "OverconstrainedError":
      return "absent";
    case "NotReadableError":
    case "AbortError":
      return "busy";
    default:
      return "unsupported";
  }
}

async function openStream() {
  if (!window.isSecureContext) throw new CameraError("insecure");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new CameraError("unsupported");
  }
  try {
    // the back camera where there is one; any camera otherwise
    return await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: "environment" } },
      audio: false,
    });
  } catch (error) {
    throw new CameraError(reasonOf(error), error);
  }
}

export async function startCamera(video, onText, options = {}) {
  const formats = options.formats || ["qr_code"];
  const repeatMs = options.repeatMs ?? 3000;
  const everyMs = options.everyMs ?? 200;
  prepare();
  const detector = new BarcodeDetector({ formats });
  const stream = await openStream();
  let stopped = false;
  let timer = null;
  const seen = new Map(); // text -> when it was last handed on

  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
    window.removeEventListener("pagehide", stop);
    document.removeEventListener("visibilitychange", onHidden);
  };
  const onHidden = () => {
    if (document.visibilityState === "hidden") stop();
  };
  window.addEventListener("pagehide", stop);
  document.addEventListener("visibilitychange", onHidden);

  video.setAttribute("playsinline", "");
  video.muted = true;
  video.srcObject = stream;
  try {
    await video.play();
  } catch (error) {
    stop();
    throw new CameraError("busy", error);
  }

  const fresh = (text) => {
    const now = Date.now();
    for (const [old, at] of seen) if (now - at >= repeatMs) seen.delete(old);
    if (seen.has(text)) return false;
    seen.set(text, now);
    return true;
  };

  const tick = async () => {
    if (stopped) return;
    try {
      if (video.readyState >= 2) {
        const found = await detector.detect(video);
        for (const code of found) {
          if (stopped || !code.rawValue || !fresh(code.rawValue)) continue;
          if (options.once) stop();
          onText(code.rawValue);
        }
      }
    } catch (error) {
      // a frame that cannot be read (not ready, resized): try the next one
      if (options.onError) options.onError(error);
    }
    if (!stopped) timer = setTimeout(tick, everyMs);
  };
  timer = setTimeout(tick, 0);
  return { stop, stream, get stopped() { return stopped; } };
}

// Wires the markup of templates/scanning/_camera.html: a start button (the camera is
// opened only when asked), the video, a status line with the page's words for each
// refusal, and a form to type or paste the text instead. onText gets every text, read
// or typed. Returns a function that stops the camera.
export function mountCamera(root, onText, options = {}) {
  const button = root.querySelector("[data-camera-start]");
  const stopButton = root.querySelector("[data-camera-stop]");
  const video = root.querySelector("video");
  const status = root.querySelector("[data-camera-status]");
  const form = root.querySelector("form[data-camera-fallback]");
  let camera = null;

  const say = (key) => {
    status.textContent = root.dataset[key] || root.dataset.unsupported || "";
    status.hidden = !status.textContent;
  };
  const stop = () => {
    if (camera) camera.stop();
    camera = null;
    video.hidden = true;
    if (stopButton) stopButton.hidden = true;
    button.hidden = false;
    if (root.dataset.state === "reading") {
      status.hidden = true;
      root.dataset.state = "stopped";
    }
  };

  button.addEventListener("click", async () => {
    button.disabled = true;
    say("opening");
    try {
      const read = (text) => {
        if (options.once) stop(); // the view closes with the code it read
        onText(text, "camera");
      };
      camera = await startCamera(video, read, {
        ...options,
        formats: options.formats || ["qr_code"],
      });
      video.hidden = false;
      button.hidden = true;
      if (stopButton) stopButton.hidden = false;
      say("reading");
      root.dataset.state = "reading";
    } catch (error) {
      say(error instanceof CameraError ? error.reason : "unsupported");
      root.dataset.state = error instanceof CameraError ? error.reason : "unsupported";
      if (form) form.querySelector("input, textarea").focus();
    } finally {
      button.disabled = false;
    }
  });
  if (stopButton) stopButton.addEventListener("click", stop);
  if (form) {
    form.addEventListener("submit", (event) => {
      const field = form.querySelector("input, textarea");
      const text = field.value.trim();
      if (!text) return; // the browser's required check speaks first
      event.preventDefault();
      onText(text, "typed");
    });
  }
  return stop;
}
