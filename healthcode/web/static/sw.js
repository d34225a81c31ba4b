/* Service worker: keeps the shell (CSS, JS, icons) and the last code page, so the
   code opens offline. Nothing else is kept: no API answer, no other page. The code
   page is stamped with the time it was saved (data-saved-at), so the page can tell
   that its QR has expired instead of showing it as current. */
"use strict";
var SHELL = "hc-shell-v1", LAST = "hc-last-code-v1";
var SHELL_FILES = [/*SHELL*/];
var CODE_PAGE = /^\/codes\/[a-z0-9-]+$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (c) { return c.addAll(SHELL_FILES); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (c) {
    return c.keys().then(function (keys) {  /* drop the files of older releases */
      return Promise.all(keys.filter(function (k) {
        return SHELL_FILES.indexOf(new URL(k.url).pathname + new URL(k.url).search) < 0;
      }).map(function (k) { return c.delete(k); }));
    });
  }).then(function () { return self.clients.claim(); }));
});

function forget() {  /* the last code page, and the phone's attestations and keys */
  if (self.indexedDB) { self.indexedDB.deleteDatabase("hc-device"); }
  return caches.delete(LAST);
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
  } else if (request.mode === "navigate") {  /* offline, "My codes" opens the last code */
    event.respondWith(fetch(request).then(function (response) {
      if (new URL(response.url).pathname === "/login") { event.waitUntil(forget()); }
      return response;
    }, function (error) {
      return lastCode().then(function (r) { return r || Promise.reject(error); });
    }));
  }
});
