// QQ-SEAL-1 in the bidder's browser (docs/sealed-bids.md; Python: qinqing/bidding/bids/seal.py).
// Reads the chosen PDF files and the opening schedule from the form, seals them with WebCrypto
// (AES-256-GCM per file under one random content key; the key wrapped with AES-KW under
// PBKDF2-SHA256(passphrase, random salt, 600,000)) and uploads only the ciphertexts and the
// manifest to /api/v1/bidding/bids. Neither the plaintext nor the passphrase nor the content key
// leaves this page. Files are sealed one at a time: memory holds one file's plaintext and its
// ciphertext at once (WebCrypto's AES-GCM is a single call), plus the ciphertexts sealed so far
// (as Blobs, which the browser may keep on disk). The page's texts come from data-msg-* (gettext).
(function () {
  "use strict";

  var FORMAT = "QQ-SEAL-1";
  var ROLES = [["commercial", "商务标"], ["technical", "技术标"], ["qualification", "资格审查资料"]];
  var PDF = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-
  var PRICE = /^(0|[1-9][0-9]{0,15})(\.[0-9]{1,2})?$/;
  var utf8 = new TextEncoder();

  var form = document.getElementById("bid-seal");
  if (!form) return;
  var statusLine = document.getElementById("bid-seal-status");
  var errorList = document.getElementById("bid-seal-errors");
  var button = form.querySelector("button[type=submit]");

  function msg(name, values) {
    var text = form.getAttribute("data-msg-" + name) || name;
    Object.keys(values || {}).forEach(function (k) {
      text = text.split("%(" + k + ")s").join(values[k]);
    });
    return text;
  }

  function say(text) { statusLine.textContent = text; }

  function showErrors(errors) {
    errorList.textContent = "";
    errors.forEach(function (e) {
      var li = document.createElement("li");
      li.textContent = e;
      errorList.appendChild(li);
    });
  }

  function field(name) { return form.elements.namedItem(name); }

  function b64(bytes) {
    bytes = new Uint8Array(bytes);
    var out = "";
    for (var i = 0; i < bytes.length; i += 0x8000) {
      out += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(out);
  }

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
  }

  function random(n) { return crypto.getRandomValues(new Uint8Array(n)); }

  function aad(section, bidder, role, sha) {
    return utf8.encode(FORMAT + "|" + section + "|" + bidder + "|" + role + "|" + sha);
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  async function isPdf(file) {
    var head = new Uint8Array(await file.slice(0, PDF.length).arrayBuffer());
    return head.length === PDF.length && PDF.every(function (b, i) { return head[i] === b; });
  }

  // The form read and checked before anything is sealed: [files, schedule, passphrase] or errors.
  async function readForm() {
    var errors = [];
    var maxFile = parseInt(form.getAttribute("data-max-file"), 10);
    var files = [];
    ROLES.forEach(function (pair) {
      Array.from(field(pair[0]).files || []).forEach(function (f) {
        files.push({ role: pair[1], file: f });
      });
    });
    if (!files.length) errors.push(msg("no-files"));
    for (var i = 0; i < files.length; i++) {
      var f = files[i].file;
      if (f.size > maxFile) {
        errors.push(msg("too-large", { name: f.name, max: Math.floor(maxFile / 1048576) }));
      } else if (!/\.pdf$/i.test(f.name) || !(await isPdf(f))) {
        errors.push(msg("not-pdf", { name: f.name }));
      }
    }
    var price = field("price").value.trim();
    if (!PRICE.test(price) || Number(price) <= 0) errors.push(msg("price"));
    var days = field("duration_days").value.trim();
    if (!/^[0-9]{1,4}$/.test(days) || +days < 1 || +days > 3650) errors.push(msg("duration"));
    var quality = field("quality").value.trim();
    var manager = field("project_manager").value.trim();
    if (!quality || !manager) errors.push(msg("required"));
    var items = [];
    field("declared_items").value.split(/\r?\n/).forEach(function (line) {
      line = line.trim();
      if (!line) return;
      var m = /^([^:：]+)[:：](.+)$/.exec(line);
      if (!m) errors.push(msg("item", { line: line }));
      else items.push({ name: m[1].trim(), value: m[2].trim() });
    });
    var pass = field("passphrase").value;
    if (pass.length < 8) errors.push(msg("pass-short"));
    else if (pass !== field("passphrase_again").value) errors.push(msg("pass-mismatch"));
    // canonical order of keys (sorted), as seal.py's schedule_json writes it
    var schedule = {
      declared_items: items, duration_days: parseInt(days, 10), price: price,
      project_manager: manager, quality: quality,
    };
    return { errors: errors, files: files, schedule: schedule, passphrase: pass };
  }

  async function sealAndUpload(input) {
    var section = parseInt(form.getAttribute("data-section"), 10);
    var bidder = form.getAttribute("data-bidder");
    var iterations = parseInt(form.getAttribute("data-iterations"), 10);
    var subtle = crypto.subtle;
    var salt = random(16);
    say(msg("deriving"));
    var base = await subtle.importKey(
      "raw", utf8.encode(input.passphrase.normalize("NFC")), "PBKDF2", false, ["deriveKey"]);
    var kek = await subtle.deriveKey(
      { name: "PBKDF2", salt: salt, iterations: iterations, hash: "SHA-256" },
      base, { name: "AES-KW", length: 256 }, false, ["wrapKey"]);
    var key = await subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt"]);
    var wrapped = await subtle.wrapKey("raw", key, kek, "AES-KW");
    var body = new FormData();
    var entries = [];
    var blobs = [];
    for (var i = 0; i < input.files.length; i++) {
      var item = input.files[i];
      say(msg("sealing", { n: i + 1, total: input.files.length, name: item.file.name }));
      var plain = await item.file.arrayBuffer();
      var sha = hex(await subtle.digest("SHA-256", plain));
      var nonce = random(12);
      var sealed = await subtle.encrypt(
        { name: "AES-GCM", iv: nonce, additionalData: aad(section, bidder, item.role, sha),
          tagLength: 128 }, key, plain);
      plain = null;
      entries.push({
        role: item.role, name: item.file.name, size: item.file.size, sha256: sha,
        nonce: b64(nonce), ciphertext_size: sealed.byteLength,
        ciphertext_sha256: hex(await subtle.digest("SHA-256", sealed)),
      });
      blobs.push(new Blob([sealed], { type: "application/octet-stream" }));
      sealed = null;
    }
    var scheduleNonce = random(12);
    var scheduleSealed = await subtle.encrypt(
      { name: "AES-GCM", iv: scheduleNonce, additionalData: aad(section, bidder, "开标一览表", "-"),
        tagLength: 128 }, key, utf8.encode(JSON.stringify(input.schedule)));
    var manifest = {
      version: FORMAT, section: section, bidder: bidder,
      kdf: { name: "PBKDF2-SHA256", iterations: iterations, salt: b64(salt) },
      key_wrap: { name: "AES-KW", wrapped_key: b64(wrapped) },
      files: entries,
      schedule: { nonce: b64(scheduleNonce), ciphertext: b64(scheduleSealed) },
    };
    body.append("section", String(section));
    body.append("manifest", JSON.stringify(manifest));
    blobs.forEach(function (blob, n) { body.append("files", blob, "file" + n + ".qqs"); });
    say(msg("uploading"));
    var response = await fetch(form.getAttribute("data-upload"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    });
    var answer = {};
    try { answer = await response.json(); } catch (e) { answer = {}; }
    if (response.status !== 201) {
      throw new Error(answer.detail || msg("failed", { status: response.status }));
    }
    return answer;
  }

  if (!window.crypto || !crypto.subtle || !window.fetch) {
    say(msg("unsupported"));
    return;
  }
  say(msg("ready"));
  button.disabled = false;

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    showErrors([]);
    readForm().then(function (input) {
      if (input.errors.length) {
        showErrors(input.errors);
        say(msg("ready"));
        button.disabled = false;
        return null;
      }
      return sealAndUpload(input).then(function (receipt) {
        field("passphrase").value = "";
        field("passphrase_again").value = "";
        say(msg("done", { number: receipt.number }));
        window.location.assign(
          form.getAttribute("data-receipt").replace(/\/0\/$/, "/" + receipt.id + "/"));
      });
    }).catch(function (error) {
      showErrors([error.message || String(error)]);
      say(msg("ready"));
      button.disabled = false;
    });
  });
})();
