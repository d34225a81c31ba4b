// The camera on the operator's offline scanner (/staff/scanner): a code the camera
// reads goes to scanner.js's scanText, as a typed or wedge-read text does, and is
// verified on the device. The camera stops with the code it read (one scan record per
// person, not one every few seconds while a phone is held up); the guard opens it
// again for the next person. The page includes templates/scanning/_camera.html with
// camera_fallback=false (it has its own text field) and loads this module by its
// plain URL, so both modules share scanner.js and the worker keeps it for offline use.
import { mountCamera } from "./camera.js";
import { scanText } from "./scanner.js";

const root = document.querySelector("[data-camera]");
if (root) mountCamera(root, (text) => scanText(text), { once: true });
