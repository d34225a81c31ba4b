// The result screen (/staff/venues/{id}/scans/{scan_id}): the "next person" field takes
// the focus, so a keyboard-wedge reader's next line goes in without a tap; a field the
// server refused (a mistyped temperature) takes it instead. The page is not scrolled:
// the verdict stays where the guard reads it. Without JavaScript the guard taps.
const field =
  document.querySelector("#result [aria-invalid=true]") ||
  document.querySelector("form.scan-form [name=token]");
if (field && document.getElementById("result")) {
  field.focus({ preventScroll: true });
}
