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


  /* Device-bound codes (docs/device-codes.md). The server signs the colour for a key
     made on this phone (an attestation, up to an hour); every few seconds the phone
     signs the attestation's hash and the time with that key and shows the result as
     a QR code, with no network. A new key with each attestation; the private key
     cannot leave the browser. The phone's clock is corrected by the server's time. */
  var B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  function base45(bytes) {
    var out = "";
    for (var i = 0; i + 1 < bytes.length; i += 2) {
      var n = bytes[i] * 256 + bytes[i + 1];
      out += B45[n % 45] + B45[Math.floor(n / 45) % 45] + B45[Math.floor(n / 2025)];
    }
    if (bytes.length % 2) { var m = bytes[bytes.length - 1]; out += B45[m % 45] + B45[Math.floor(m / 45)]; }
    return out;
  }
  function bstrHead(n) {  /* minimal CBOR head of a byte string */
    return n < 24 ? [0x40 + n] : n < 256 ? [0x58, n] : [0x59, n >> 8, n & 255];
  }
  function uint32(n) { return [n >>> 24 & 255, n >>> 16 & 255, n >>> 8 & 255, n & 255]; }
  function concat(parts) {
    var size = parts.reduce(function (a, p) { return a + p.length; }, 0), out = new Uint8Array(size), at = 0;
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }
  function fromB64url(text) {
    var raw = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }
  function toB64url(bytes) {
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function store(mode, work) {  /* one IndexedDB store of attestations, by policy */
    return new Promise(function (resolve, reject) {
      var open = indexedDB.open("hc-device", 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("attestations"); };
      open.onerror = function () { reject(open.error); };
      open.onsuccess = function () {
        var tx = open.result.transaction("attestations", mode), request = work(tx.objectStore("attestations"));
        tx.oncomplete = function () { open.result.close(); resolve(request.result); };
        tx.onerror = function () { open.result.close(); reject(tx.error); };
      };
    });
  }
  function qrSvg(text, dark) {
    var qr = qrcode(0, "Q");
    qr.addData(text, "Alphanumeric");
    qr.make();
    var n = qr.getModuleCount(), size = n + 8, d = "";
    for (var r = 0; r < n; r++) {
      for (var c = 0; c < n; c++) { if (qr.isDark(r, c)) { d += "M" + (c + 4) + " " + (r + 4.5) + "h1"; } }
    }
    return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + size + " " + size + '" class="qr">' +
      '<path fill="#fff" d="M0 0h' + size + "v" + size + "h-" + size + 'z"/><path stroke="' + dark + '" d="' + d + '"/></svg>';
  }

  function startDevice(box, fallback) {
    var subtle = window.crypto && window.crypto.subtle;
    if (!subtle || !window.indexedDB || !window.pako || !window.qrcode) { fallback(); return; }
    var policy = box.getAttribute("data-policy"), held = null, timer = 0, renew = 0, watch = null;
    var qrBox = box.querySelector(".qr-box"), offline = document.getElementById("offline");
    var dark = (qrBox.querySelector("path[stroke]") || { getAttribute: function () { return "#000"; } }).getAttribute("stroke");
    var note = document.createElement("p");
    note.className = "muted";
    note.setAttribute("data-device-until", "");
    var format = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    function serverNow() { return Date.now() + (held ? held.offset : 0); }
    function lapsed() { return !held || serverNow() >= held.exp * 1000; }
    function present() {
      clearTimeout(timer);
      if (lapsed()) {  /* never shown as current once the attestation has lapsed */
        qrBox.hidden = true;
        box.querySelector(".qr-expired").hidden = false;
        note.hidden = true;
        fetchNext();
        return;
      }
      var at = Math.floor(serverNow() / 1000), att = held.att;
      subtle.digest("SHA-256", att).then(function (hash) {
        var message = concat([new Uint8Array(hash), new Uint8Array(4), new Uint8Array(uint32(at))]);
        return subtle.sign({ name: "ECDSA", hash: "SHA-256" }, held.key, message);
      }).then(function (signature) {
        var body = concat([[0x83], bstrHead(att.length), att, [0x1a].concat(uint32(at)), [0x58, 64], new Uint8Array(signature)]);
        var text = "CNHC2:" + base45(window.pako.deflate(body, { level: 9 }));
        var fresh = box.querySelector("[data-qr]");
        qrBox.innerHTML = qrSvg(text, dark);
        qrBox.setAttribute("data-text", text);
        qrBox.hidden = false;
        box.querySelector(".qr-expired").hidden = true;
        note.textContent = box.getAttribute("data-until-text").replace("{time}", format.format(new Date(held.exp * 1000)));
        note.hidden = false;
        if (!note.parentNode) { fresh.appendChild(note); }
        fresh.querySelectorAll(".muted:not([data-device-until])").forEach(function (p) { p.hidden = true; });
      }).catch(function () { /* the next tick tries again */ });
      timer = setTimeout(present, held.every * 1000);
    }
    var fetching = false;
    function fetchNext() {
      if (fetching) { return; }
      fetching = true;
      var pair;
      subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]).then(function (keys) {
        pair = keys;
        return subtle.exportKey("raw", keys.publicKey);
      }).then(function (raw) {
        var point = new Uint8Array(raw), compressed = new Uint8Array(33);
        compressed[0] = 2 + (point[64] & 1);
        compressed.set(point.subarray(1, 33), 1);
        var sent = Date.now();
        return fetch(box.getAttribute("data-attest") + "?device_key=" + toB64url(compressed), {
          credentials: "same-origin", headers: { Accept: "application/json" }
        }).then(function (r) {
          if (r.status === 401) { location.reload(); throw r; }
          if (!r.ok) { throw r; }
          return r.json();
        }).then(function (answer) {
          var record = {
            att: fromB64url(answer.attestation), key: pair.privateKey, exp: answer.expires_epoch,
            colour: answer.colour, every: answer.present_every,
            offset: answer.server_ms - (sent + Date.now()) / 2
          };
          return store("readwrite", function (s) { return s.put(record, policy); }).then(function () { return record; });
        });
      }).then(function (record) {
        fetching = false;
        if (offline) { offline.hidden = true; }
        if (record.colour !== box.getAttribute("data-colour") && !savedAt()) { location.reload(); return; }
        held = record;
        present();
        schedule();
      }).catch(function () {
        fetching = false;
        if (offline) { offline.hidden = false; }
        clearTimeout(renew);
        renew = setTimeout(fetchNext, 30000);
      });
    }
    function schedule() {  /* the next attestation a minute before this one lapses */
      clearTimeout(renew);
      renew = setTimeout(fetchNext, Math.max(1000, held.exp * 1000 - 60000 - serverNow()));
      if (watch) { watch.close(); }
      if (!window.EventSource || savedAt()) { return; }
      var hold = Math.max(1, Math.floor(held.exp - serverNow() / 1000));
      watch = new EventSource(box.getAttribute("data-watch") + "?colour=" + held.colour + "&hold=" + hold);
      watch.addEventListener("colour", function () { watch.close(); location.reload(); });
      watch.addEventListener("renew", function () { watch.close(); });
      watch.onerror = function () { watch.close(); };  /* no reconnect storm: the next attestation reopens it */
    }
    window.addEventListener("online", function () { if (lapsed()) { fetchNext(); } });
    store("readonly", function (s) { return s.get(policy); }).then(function (record) {
      var current = record && Date.now() + record.offset < record.exp * 1000 - 300000;
      if (current && (savedAt() || record.colour === box.getAttribute("data-colour"))) {
        held = record;
        present();
        schedule();
        if (savedAt()) { fetchNext(); }  /* the offline copy: try for a fresh one at once */
      } else {
        if (record && savedAt()) { held = record; present(); }  /* offline: still valid a while */
        fetchNext();
      }
    }, fallback);
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

  /* A role given for one organisation only (an issuer: data-organisation-only) is
     offered only the organisations as where it is held; without the script the
     server refuses another scope with its reason beside the field. */
  function startScopeChoice(role) {
    var scope = document.getElementById(role.getAttribute("data-scope-choice"));
    if (!scope) { return; }
    function limit() {
      var picked = role.options[role.selectedIndex];
      var only = !!picked && picked.hasAttribute("data-organisation-only");
      var first = null;
      Array.prototype.forEach.call(scope.options, function (option) {
        var out = only && !option.hasAttribute("data-organisation");
        option.disabled = out;
        option.hidden = out;
        if (!out && !first) { first = option; }
      });
      var chosen = scope.options[scope.selectedIndex];
      if (chosen && chosen.disabled && first) { first.selected = true; }
    }
    role.addEventListener("change", limit);
    limit();
  }

  /* Installable: the worker keeps the shell and the last code page for offline use. */
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () { /* online use is unaffected */ });
  }

  /* The summary names each field it links to: "此项为必填" alone does not say which. */
  function nameFields(box) {
    var colon = (document.documentElement.lang || "").indexOf("zh") === 0 ? "：" : ": ";
    box.querySelectorAll("a[href^='#']").forEach(function (link) {
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) { return; }
      var label = document.querySelector("label[for='" + field.id + "']");
      var named = field.getAttribute("aria-labelledby");
      var legend = field.closest("fieldset") && field.closest("fieldset").querySelector("legend");
      var source = label || (named && document.getElementById(named.split(" ")[0])) || legend;
      var name = source && source.firstChild ? source.firstChild.textContent.trim() : "";
      name = name.replace(/[？?：:]$/, "");  /* "哪里有误？" + "：" read twice */
      if (name && link.textContent.indexOf(name) !== 0) {
        link.textContent = name + colon + link.textContent;
      }
    });
  }

  var summary = document.getElementById("error-summary");
  if (summary) {  /* a rejected form: read out what to fix first */
    nameFields(summary);
    summary.focus();
  }
  document.querySelectorAll("[data-clock]").forEach(startClock);
  document.querySelectorAll("[data-live]").forEach(function (box) {
    /* the QR libraries load after this file (deferred): start once they are there */
    document.addEventListener("DOMContentLoaded", function () {
      if (box.hasAttribute("data-attest")) { startDevice(box, function () { startQr(box); }); }
      else { startQr(box); }
    });
  });
  document.querySelectorAll("input[data-regions]").forEach(startRegion);
  document.querySelectorAll("[data-picker]").forEach(startPicker);
  document.querySelectorAll("[data-temperature]").forEach(startTemperature);
  document.querySelectorAll(".lang-switch a").forEach(keepTyped);
  document.querySelectorAll("input[data-warn-after]").forEach(startDateWarning);
  document.querySelectorAll("input[data-max-bytes]").forEach(startFileLimit);
  document.querySelectorAll("select[data-scope-choice]").forEach(startScopeChoice);
})();
