// The camera on the operator's result screen (/staff/venues/{id}/scan): a code the
// camera reads fills the scan form's text field and submits it, as a keyboard-wedge
// reader would. The camera stops with the first code; the guard opens it again for
// the next person (the browser does not ask again once the camera is allowed) with
// the result screen's "scan the next person" button, beside the release: one tap opens
// the camera and brings it into view (it sits below the form, a phone's screen or more
// down). It never opens by itself: the guard acts on the person first.
import { mountCamera } from "./camera.js";

const root = document.querySelector("[data-camera]");
const form = document.querySelector("form.scan-form");
if (root && form) {
  const field = form.querySelector("[name=token]");
  mountCamera(
    root,
    (text) => {
      field.value = text;
      form.requestSubmit();
    },
    { once: true },
  );
}

const next = document.querySelector("[data-scan-next]");
if (root && next && window.isSecureContext && navigator.mediaDevices) {
  const start = root.querySelector("[data-camera-start]");
  const video = root.querySelector("video");
  next.parentElement.hidden = false;
  next.addEventListener("click", () => {
    root.scrollIntoView({ block: "start" });
    video.addEventListener("playing", () => video.scrollIntoView({ block: "nearest" }), {
      once: true,
    });
    if (!start.hidden && !start.disabled) start.click();
  });
}
