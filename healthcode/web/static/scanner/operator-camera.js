// The camera on the operator's result screen (/staff/venues/{id}/scan): a code the
// camera reads fills the scan form's text field and submits it, as a keyboard-wedge
// reader would. The camera stops with the first code; the guard opens it again for
// the next person (the browser does not ask again once the camera is allowed).
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
