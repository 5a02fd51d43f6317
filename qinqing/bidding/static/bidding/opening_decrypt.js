// The bidder's decryption at the remote opening (docs/sealed-bids.md §7; Python: seal.py).
// The passphrase typed here never leaves this page: the browser derives the key-encryption key
// (PBKDF2-SHA256 over the NFC passphrase, the bid's salt and 600,000 iterations), unwraps the
// content key with AES-KW and sends ONLY the content key (Base64) to the platform, which
// decrypts every file, checks it against its receipt's SHA-256 and unseals the opening
// schedule. A wrong passphrase fails the unwrap here: the failure is reported (counted and
// audited), nothing is sent. The page's texts come from data-msg-* (gettext).
(function () {
  "use strict";

  var form = document.getElementById("opening-decrypt");
  if (!form) return;
  var statusLine = document.getElementById("opening-decrypt-status");
  var errorList = document.getElementById("opening-decrypt-errors");
  var button = form.querySelector("button[type=submit]");
  var utf8 = new TextEncoder();

  function msg(name) { return form.getAttribute("data-msg-" + name) || name; }
  function say(text) { statusLine.textContent = text; }
  function showError(text) {
    errorList.textContent = "";
    if (!text) return;
    var li = document.createElement("li");
    li.textContent = text;
    errorList.appendChild(li);
  }

  function unb64(text) {
    var raw = atob(text);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function b64(bytes) {
    bytes = new Uint8Array(bytes);
    var out = "";
    for (var i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]);
    return btoa(out);
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {}),
    });
  }

  async function unwrap(passphrase) {
    var subtle = crypto.subtle;
    var base = await subtle.importKey(
      "raw", utf8.encode(passphrase.normalize("NFC")), "PBKDF2", false, ["deriveKey"]);
    var kek = await subtle.deriveKey(
      { name: "PBKDF2", salt: unb64(form.getAttribute("data-salt")),
        iterations: parseInt(form.getAttribute("data-iterations"), 10), hash: "SHA-256" },
      base, { name: "AES-KW", length: 256 }, false, ["unwrapKey"]);
    var key = await subtle.unwrapKey(
      "raw", unb64(form.getAttribute("data-wrapped")), kek, "AES-KW",
      { name: "AES-GCM", length: 256 }, true, ["decrypt"]);
    return b64(await subtle.exportKey("raw", key));
  }

  async function detail(response) {
    try { return (await response.json()).detail || ""; } catch (e) { return ""; }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    showError("");
    var field = form.elements.namedItem("passphrase");
    var passphrase = field.value;
    if (passphrase.length < 8) { showError(msg("short")); return; }
    if (!window.crypto || !crypto.subtle) { showError(msg("nocrypto")); return; }
    button.disabled = true;
    try {
      say(msg("deriving"));
      var contentKey;
      try {
        contentKey = await unwrap(passphrase);
      } catch (e) {
        field.value = "";
        say("");
        var report = await post(form.getAttribute("data-failures"));
        var count = report.ok ? (await report.json()).failed_attempts : null;
        showError(msg("wrong") + (count ? msg("count").split("%(n)s").join(count) : ""));
        return;
      }
      field.value = "";
      say(msg("sending"));
      var response = await post(form.getAttribute("data-api"), { content_key: contentKey });
      contentKey = null;
      if (response.ok) {
        say(msg("done"));
        window.location.reload();
        return;
      }
      say("");
      showError((await detail(response)) || msg("network"));
    } catch (e) {
      say("");
      showError(msg("network"));
    } finally {
      button.disabled = false;
    }
  });

  say(msg("ready"));
})();
