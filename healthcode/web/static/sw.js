/* Service worker: keeps the shell (CSS, JS, icons) and the last code page, so the
   code opens offline. Nothing else is kept: no API answer, no other page. The code
   page is stamped with the time it was saved (data-saved-at), so the page can tell
   that its QR has expired instead of showing it as current.
   The offline scanner (/staff/scanner) is kept the same way, in caches of its own
   filled only on a device that opened it: its page and its modules (verify.js and the
   vendored libraries it imports), so a checkpoint scans with the network cut. */
"use strict";
var SHELL = "hc-shell-v1", LAST = "hc-last-code-v1";
var SCANNER = "hc-scanner-shell-v1", SCANNER_PAGE = "hc-scanner-page-v1";
var SHELL_FILES = [/*SHELL*/];
var SCANNER_FILES = [/*SCANNER*/];
var CODE_PAGE = /^\/codes\/[a-z0-9-]+$/;
var SCANNER_PATH = "/staff/scanner";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (c) { return c.addAll(SHELL_FILES); })
    .then(function () { return self.skipWaiting(); }));
});

function prune(name, files) {  /* drop the files of older releases */
  return caches.open(name).then(function (c) {
    return c.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) {
        return files.indexOf(new URL(k.url).pathname + new URL(k.url).search) < 0;
      }).map(function (k) { return c.delete(k); }));
    });
  });
}

self.addEventListener("activate", function (event) {
  event.waitUntil(prune(SHELL, SHELL_FILES).then(function () { return prune(SCANNER, SCANNER_FILES); })
    .then(function () {  /* a scanner device takes the new release's modules at once */
      return caches.has(SCANNER_PAGE).then(function (used) { return used && scannerShell(); });
    }).then(function () { return self.clients.claim(); }));
});

function scannerShell() {  /* unversioned module URLs: past the HTTP cache, always */
  return caches.open(SCANNER).then(function (c) {
    return c.addAll(SCANNER_FILES.map(function (u) { return new Request(u, { cache: "reload" }); }));
  });
}

function scannerPage(event, request) {  /* the network first; offline, the kept page */
  return fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      event.waitUntil(caches.open(SCANNER_PAGE).then(function (c) { return c.put(request.url, copy); })
        .then(function () { return caches.open(SCANNER); })
        .then(function (c) { return c.keys(); })
        .then(function (kept) { return kept.length === SCANNER_FILES.length || scannerShell(); }));
    } else if (response.redirected) { event.waitUntil(caches.delete(SCANNER_PAGE)); }
    return response;
  }).catch(function (error) {
    return caches.open(SCANNER_PAGE).then(function (c) {
      return c.match(request.url).then(function (hit) {
        return hit || c.keys().then(function (keys) { return keys.length ? c.match(keys[0]) : undefined; });
      });
    }).then(function (r) { return r || Promise.reject(error); });
  });
}

function forget() {  /* the last code page, and the phone's attestations and keys */
  if (self.indexedDB) { self.indexedDB.deleteDatabase("hc-device"); }
  /* the scanner's page goes; its queue of scan records (hc-scanner) stays to upload */
  return Promise.all([caches.delete(LAST), caches.delete(SCANNER_PAGE)]);
}

function keep(response) {  /* the one last code page, stamped with when it was saved */
  return response.clone().text().then(function (html) {
    var stamped = html.replace('data-saved-at=""', 'data-saved-at="' + Date.now() + '"');
    return caches.open(LAST).then(function (c) {
      return c.keys().then(function (keys) {
        return Promise.all(keys.map(function (k) { return c.delete(k); }));
      }).then(function () {
        var headers = new Headers(response.headers);
        headers.delete("content-length");  /* the body is decoded and longer now */
        headers.delete("content-encoding");
        return c.put(response.url, new Response(stamped, { headers: headers }));
      });
    });
  });
}

function codePage(event, request) {
  return fetch(request).then(function (response) {
    if (response.ok && !response.redirected) { event.waitUntil(keep(response)); }
    else if (response.redirected) { event.waitUntil(forget()); }  /* signed out or no code */
    return response;
  }).catch(function (error) { return lastCode().then(function (r) { return r || Promise.reject(error); }); });
}

function lastCode() {
  return caches.open(LAST).then(function (c) {
    return c.keys().then(function (keys) { return keys.length ? c.match(keys[0]) : undefined; });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method !== "GET") {
    if (url.pathname === "/logout") { event.waitUntil(forget()); }  /* nothing personal stays */
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
  } else if (request.mode === "navigate" && CODE_PAGE.test(url.pathname)) {
    event.respondWith(codePage(event, request));
  } else if (request.mode === "navigate" && url.pathname === SCANNER_PATH) {
    event.respondWith(scannerPage(event, request));
  } else if (request.mode === "navigate") {  /* offline, "My codes" opens the last code */
    event.respondWith(fetch(request).then(function (response) {
      if (new URL(response.url).pathname === "/login") { event.waitUntil(forget()); }
      return response;
    }, function (error) {
      return lastCode().then(function (r) { return r || Promise.reject(error); });
    }));
  }
});
