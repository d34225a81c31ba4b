// The resident's 扫一扫 page: a venue's code (a link to /v/<code> on this site) opens
// its check-in page; any other text goes to the server, which says what it is not.
import { mountCamera } from "./camera.js";

const root = document.querySelector("[data-camera]");
const other = document.getElementById("scan-other");

function venueLink(text) {
  try {
    const url = new URL(text, location.origin);
    if (url.origin === location.origin && /^\/v\/[^/]+$/.test(url.pathname)) return url.href;
  } catch (_) {
    // not a URL: the server decides
  }
  return null;
}

if (root) {
  const stop = mountCamera(root, (text, source) => {
    const link = venueLink(text);
    if (link) {
      stop();
      location.assign(link);
    } else if (source === "typed") {
      location.assign("/scan?text=" + encodeURIComponent(text));
    } else {
      other.hidden = false; // keep reading: the right code may come next
    }
  });
}
