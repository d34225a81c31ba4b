// The camera on the operator's offline scanner (/staff/scanner): every code the
// camera reads goes to scanner.js's scanText, as a typed or wedge-read text does.
// The page includes templates/scanning/_camera.html with camera_fallback=false (it
// has its own text field) and loads this module.
import { mountCamera } from "./camera.js";
import { scanText } from "./scanner.js";

const root = document.querySelector("[data-camera]");
if (root) mountCamera(root, (text) => scanText(text));
