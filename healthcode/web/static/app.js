/* Health code pages: small enhancements only. Every page works without this file
   except the automatic QR refresh (without it, the page offers a refresh link). */
(function () {
  "use strict";

  /* The live clock shows the server's time in Asia/Shanghai, ticking every second. */
  function startClock(el) {
    var offset = Date.parse(el.getAttribute("data-now")) - (savedAt() || Date.now());
    var format = new Intl.DateTimeFormat("en-CA", {
      timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"
    });
    function tick() {
      var p = {};
      format.formatToParts(new Date(Date.now() + offset)).forEach(function (x) { p[x.type] = x.value; });
      el.textContent = p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute + ":" + p.second;
    }
    tick();
    setInterval(tick, 1000);
  }

  /* When the service worker saved this page for offline use (0: fresh from the server). */
  function savedAt() {
    var live = document.querySelector("[data-saved-at]");
    return live ? Number(live.getAttribute("data-saved-at")) || 0 : 0;
  }

  /* The QR: fetch a fresh one before the token expires. If we cannot, say we are
     offline; once the token has expired, hide it: it is never shown as current. */
  function startQr(box) {
    var timer = 0, deadline = 0, expiry = 0;
    var offline = document.getElementById("offline");
    var status = document.getElementById("code-status");
    if (status) {  /* set the live region after load, so screen readers announce it */
      var said = status.textContent;
      status.textContent = "";
      setTimeout(function () { status.textContent = said; }, 700);
    }
    function schedule(node, since) {
      var refreshIn = Number(node.getAttribute("data-refresh-in")) || 30;
      var lifetime = Number(node.getAttribute("data-lifetime")) || 60;
      deadline = since + lifetime * 1000;
      clearTimeout(timer);
      clearTimeout(expiry);
      timer = setTimeout(refresh, Math.max(0, since + refreshIn * 1000 - Date.now()));
      expiry = setTimeout(expire, Math.max(0, deadline - Date.now()));
      if (offline) { offline.hidden = true; }
    }
    function expire() {
      if (Date.now() < deadline) { return; }
      box.querySelector(".qr-box").hidden = true;
      box.querySelector(".qr-expired").hidden = false;
    }
    function refresh() {
      fetch(box.getAttribute("data-src"), { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) {
          if (r.redirected || !r.ok) { throw r; }
          return r.text();
        })
        .then(function (html) {
          var t = document.createElement("template");
          t.innerHTML = html;
          var node = t.content.querySelector("[data-qr]");
          if (!node) { throw new Error("no QR in the answer"); }
          if (node.getAttribute("data-colour") !== box.getAttribute("data-colour")) {
            location.reload();  // the colour changed: reasons and next steps too
            return;
          }
          box.querySelector("[data-qr]").replaceWith(node);
          schedule(node, Date.now());
        })
        .catch(function (r) {
          if (r && (r.status === 401 || r.redirected)) { location.reload(); return; }
          if (offline) { offline.hidden = false; }
          expire();
          clearTimeout(timer);
          timer = setTimeout(refresh, 5000);
        });
    }
    window.addEventListener("online", refresh);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && Date.now() > deadline - 5000) { refresh(); }
    });
    schedule(box.querySelector("[data-qr]"), savedAt() || Date.now());
    if (savedAt()) { refresh(); }  /* the offline copy: try for a fresh code at once */
  }

  /* Region fields: suggestions from /regions.json as the resident types a name. */
  function startRegion(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var named = document.getElementById(input.id + "-name");
    var timer = 0, names = {};
    function show() {
      if (named) { named.textContent = names[input.value.trim()] || ""; }
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      show();
      var q = input.value.trim();
      if (!q || /^\d{6}$/.test(q)) { return; }
      timer = setTimeout(function () {
        fetch("/regions.json?q=" + encodeURIComponent(q)).then(function (r) { return r.json(); })
          .then(function (found) {
            list.textContent = "";
            found.forEach(function (region) {
              var option = document.createElement("option");
              option.value = region.code;
              option.label = region.name;
              option.textContent = region.name;
              names[region.code] = region.name;
              list.appendChild(option);
            });
          }).catch(function () { /* the plain text field still works */ });
      }, 200);
    });
  }

  /* Place picker: province → city → county selects, each choice filling the typed field
     with the code and naming it below; the field alone works without this. */
  function startPicker(box) {
    var input = document.getElementById(box.getAttribute("data-picker"));
    var named = document.getElementById(input.id + "-name");
    var selects = box.querySelectorAll("select");
    function fill(select, parent) {
      select.length = 1;
      select.disabled = true;
      if (parent === null) { return Promise.resolve(); }
      return fetch("/regions/within.json?parent=" + parent).then(function (r) { return r.json(); })
        .then(function (found) {
          found.forEach(function (region) { select.add(new Option(region.name, region.code)); });
          select.disabled = !found.length;
        }).catch(function () { /* the typed field still works */ });
    }
    /* A code already in the field (a form shown again) is shown in the selects too. */
    function preselect(code, level) {
      var wanted = [code.slice(0, 2) + "0000", code.slice(0, 4) + "00", code][level];
      var select = selects[level];
      var found = [].some.call(select.options, function (o) { return o.value === wanted; });
      if (!found) { return; }
      select.value = wanted;
      if (level + 1 < selects.length && wanted !== code) {
        fill(selects[level + 1], code.slice(0, level === 0 ? 2 : 4)).then(function () {
          preselect(code, level + 1);
        });
      }
    }
    selects.forEach(function (select, level) {
      select.addEventListener("change", function () {
        var code = select.value, words = [];
        for (var i = level + 1; i < selects.length; i++) { fill(selects[i], null); }
        if (!code) { return; }
        for (var j = 0; j <= level; j++) { words.push(selects[j].selectedOptions[0].text); }
        input.value = code;
        if (named) { named.textContent = words.join(""); }
        input.dispatchEvent(new Event("change", { bubbles: true }));
        if (level + 1 < selects.length && /00$/.test(code)) {
          fill(selects[level + 1], code.slice(0, level === 0 ? 2 : 4));
        }
      });
    });
    box.hidden = false;
    fill(selects[0], "").then(function () {
      if (/^\d{6}$/.test(input.value.trim())) { preselect(input.value.trim(), 0); }
    });
  }

  /* A date the rules will not sign green (data-warn-after, from the policy): say so
     beside the field in the policy's words as soon as it is picked; never refuse it. */
  function startDateWarning(input) {
    var note = document.createElement("p");
    note.className = "warning";
    note.id = input.id + "-warning";
    note.setAttribute("role", "status");
    input.insertAdjacentElement("afterend", note);
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + note.id);
    function check() {
      var late = input.value && input.value > input.getAttribute("data-warn-after");
      note.textContent = late ? input.getAttribute("data-warn") : "";
    }
    input.addEventListener("change", check);
    check();
  }

  /* Temperature: a tapped chip clears the typed value, and a typed value the chips. */
  function startTemperature(group) {
    var typed = document.getElementById(group.getAttribute("data-temperature"));
    var chips = group.querySelectorAll("input[type=radio]");
    chips.forEach(function (chip) {
      chip.addEventListener("change", function () { if (chip.checked && typed) { typed.value = ""; } });
    });
    if (typed) {
      typed.addEventListener("input", function () {
        if (typed.value) { chips.forEach(function (chip) { chip.checked = false; }); }
      });
    }
  }

  /* The language switch on a page with a form: post what was typed along, so the same
     page comes back in the other language filled in (without JS the link switches). */
  function keepTyped(link) {
    link.addEventListener("click", function (event) {
      var typed = document.querySelector("main form[data-keep]");
      if (!typed) { return; }
      event.preventDefault();
      var carry = document.createElement("form");
      carry.method = "post";
      carry.action = link.href;
      carry.hidden = true;
      new FormData(typed).forEach(function (value, name) {
        if (typeof value !== "string") { return; }
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = value;
        carry.appendChild(input);
      });
      document.body.appendChild(carry);
      carry.submit();
    });
  }

  /* A file over the size limit (data-max-bytes): said beside the field at once, and
     the form is not sent, so a phone does not spend its data on a refused upload. */
  function startFileLimit(input) {
    var note = document.createElement("p");
    note.id = input.id + "-size";
    note.setAttribute("role", "status");
    input.insertAdjacentElement("beforebegin", note);
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + note.id);
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      var tooLarge = file && file.size > Number(input.getAttribute("data-max-bytes"));
      note.textContent = tooLarge ? input.getAttribute("data-too-large") : "";
      note.className = tooLarge ? "error" : "";
      input.setCustomValidity(tooLarge ? input.getAttribute("data-too-large") : "");
    });
  }

  /* Installable: the worker keeps the shell and the last code page for offline use. */
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () { /* online use is unaffected */ });
  }

  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }  /* a rejected form: read out what to fix first */
  document.querySelectorAll("[data-clock]").forEach(startClock);
  document.querySelectorAll("[data-live]").forEach(startQr);
  document.querySelectorAll("input[data-regions]").forEach(startRegion);
  document.querySelectorAll("[data-picker]").forEach(startPicker);
  document.querySelectorAll("[data-temperature]").forEach(startTemperature);
  document.querySelectorAll(".lang-switch a").forEach(keepTyped);
  document.querySelectorAll("input[data-warn-after]").forEach(startDateWarning);
  document.querySelectorAll("input[data-max-bytes]").forEach(startFileLimit);
})();
