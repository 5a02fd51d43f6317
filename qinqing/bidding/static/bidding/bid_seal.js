// QQ-SEAL-2 in the bidder's browser (docs/sealed-bids.md; Python: qinqing/bidding/bids/seal.py).
// Reads the chosen PDF files and the opening schedule from the form, seals them with WebCrypto
// (AES-256-GCM under one random content key, each file in 1 MiB chunks, each chunk its own GCM
// message; the key wrapped with AES-KW under PBKDF2-SHA256(passphrase, random salt, 600,000))
// and uploads only the ciphertexts and the manifest, through the chunked upload
// (/api/v1/bidding/bids/uploads). Neither the plaintext nor the passphrase nor the content key
// leaves this page. Memory is bounded: each file is read with file.slice() one chunk at a time,
// encrypted, fed to two incremental SHA-256 (the plaintext's and the ciphertext's, from the
// vendored @noble/hashes: WebCrypto has no incremental digest) and uploaded while the next chunk
// is encrypted, so at most a few chunks are held at once whatever the file's size. The page's
// texts come from data-msg-* (gettext).
(function () {
  "use strict";

  var FORMAT = "QQ-SEAL-2";
  var CHUNK = 1048576; // plaintext bytes per chunk (the last may be shorter)
  var TAG = 16;
  var PER_PIECE = 8; // chunks sent in one request of the chunked upload (8 MiB + tags)
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

  function chunkCount(size) { return Math.max(1, Math.ceil(size / CHUNK)); }

  // chunk j's nonce: the file's 8-byte random prefix, then j as uint32 big-endian
  function chunkNonce(prefix, j) {
    var nonce = new Uint8Array(12);
    nonce.set(prefix, 0);
    new DataView(nonce.buffer).setUint32(8, j, false);
    return nonce;
  }

  function chunkAad(section, bidder, role, j, last) {
    return utf8.encode(
      FORMAT + "|" + section + "|" + bidder + "|" + role + "|" + j + "|" + (last ? "1" : "0"));
  }

  function scheduleAad(section, bidder) {
    return utf8.encode(FORMAT + "|" + section + "|" + bidder + "|开标一览表|-");
  }

  var sha256 = null; // @noble/hashes' sha256, imported when the page loads

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  // The optional response table (响应表, docs/sealed-bids.md §4): rows of criterion code, one
  // of the chosen files, page. seal.schedule_check checks it again when the opening decrypts.
  var responseRows = document.getElementById("bid-responses");
  var responseWrap = document.getElementById("bid-responses-wrap");
  var MAX_RESPONSES = 500;

  function chosenNames() {
    var names = [];
    ROLES.forEach(function (pair) {
      Array.from(field(pair[0]).files || []).forEach(function (f) { names.push(f.name); });
    });
    return names;
  }

  function fillFiles(select) {
    var keep = select.value;
    select.textContent = "";
    chosenNames().forEach(function (name) {
      var option = document.createElement("option");
      option.value = option.textContent = name;
      select.appendChild(option);
    });
    if (keep) select.value = keep;
  }

  function relabel() {
    Array.from(responseRows.rows).forEach(function (row, i) {
      var n = { n: i + 1 };
      row.querySelector("[data-k=criterion]").setAttribute("aria-label", msg("response-criterion", n));
      row.querySelector("[data-k=file]").setAttribute("aria-label", msg("response-file", n));
      row.querySelector("[data-k=page]").setAttribute("aria-label", msg("response-page", n));
      row.querySelector("button").setAttribute("aria-label", msg("response-remove", n));
    });
    responseWrap.hidden = responseRows.rows.length === 0;
  }

  function addResponse() {
    if (responseRows.rows.length >= MAX_RESPONSES) {
      showErrors([msg("response-too-many")]);
      return;
    }
    var row = responseRows.insertRow();
    var criterion = document.createElement("input");
    criterion.type = "text"; criterion.maxLength = 20; criterion.setAttribute("data-k", "criterion");
    var select = document.createElement("select");
    select.setAttribute("data-k", "file");
    fillFiles(select);
    var page = document.createElement("input");
    page.type = "number"; page.min = "1"; page.max = "100000"; page.step = "1";
    page.setAttribute("inputmode", "numeric"); page.setAttribute("data-k", "page");
    var remove = document.createElement("button");
    remove.type = "button"; remove.className = "btn secondary";
    remove.textContent = msg("response-remove-text");
    remove.addEventListener("click", function () { row.remove(); relabel(); });
    [criterion, select, page, remove].forEach(function (el) { row.insertCell().appendChild(el); });
    relabel();
    criterion.focus();
  }

  function readResponses(errors, names) {
    var out = [];
    Array.from(responseRows.rows).forEach(function (row, i) {
      var criterion = row.querySelector("[data-k=criterion]").value.trim();
      var file = row.querySelector("[data-k=file]").value;
      var page = row.querySelector("[data-k=page]").value.trim();
      if (!criterion && !page) return; // an untouched row is ignored
      if (!criterion || criterion.length > 20 || names.indexOf(file) < 0 ||
          !/^[1-9][0-9]{0,5}$/.test(page) || +page > 100000) {
        errors.push(msg("response", { n: i + 1 }));
        return;
      }
      out.push({ criterion: criterion, file: file, page: parseInt(page, 10) }); // keys sorted
    });
    return out;
  }

  if (responseRows) {
    document.getElementById("bid-responses-add").addEventListener("click", addResponse);
    ROLES.forEach(function (pair) {
      field(pair[0]).addEventListener("change", function () {
        responseRows.querySelectorAll("select").forEach(fillFiles);
      });
    });
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
    var responses = responseRows ? readResponses(errors, chosenNames()) : [];
    if (responses.length) schedule.responses = responses; // optional: absent when empty
    return { errors: errors, files: files, schedule: schedule, passphrase: pass };
  }

  async function send(url, method, body, json) {
    var headers = { "X-CSRFToken": csrfToken(), Accept: "application/json" };
    if (json) headers["Content-Type"] = "application/json";
    var response = await fetch(url, {
      method: method, body: json ? JSON.stringify(body) : body, credentials: "same-origin",
      headers: headers,
    });
    var answer = {};
    try { answer = await response.json(); } catch (e) { answer = {}; }
    if (response.status >= 300) {
      throw new Error(answer.detail || msg("failed", { status: response.status }));
    }
    return answer;
  }

  // One file: read and encrypted chunk by chunk, uploaded PER_PIECE chunks per request; the
  // next piece is encrypted while the previous one uploads (so at most two pieces' ciphertext
  // and one chunk's plaintext are held, whatever the file's size).
  async function sealFile(ctx, item, i, total) {
    var file = item.file, n = chunkCount(file.size);
    var prefix = random(8);
    var plainHash = sha256.create(), sealedHash = sha256.create();
    var pending = null, parts = [], piece = 0;
    for (var j = 0; j < n; j++) {
      say(msg("sealing", { n: i + 1, total: total, name: file.name,
                           pct: Math.floor((100 * j) / n) + "%" }));
      var plain = new Uint8Array(
        await file.slice(j * CHUNK, Math.min((j + 1) * CHUNK, file.size)).arrayBuffer());
      plainHash.update(plain);
      var sealed = new Uint8Array(await crypto.subtle.encrypt(
        { name: "AES-GCM", iv: chunkNonce(prefix, j),
          additionalData: chunkAad(ctx.section, ctx.bidder, item.role, j, j === n - 1),
          tagLength: 128 }, ctx.key, plain));
      plain = null;
      sealedHash.update(sealed);
      parts.push(sealed);
      sealed = null;
      if (parts.length === PER_PIECE || j === n - 1) {
        var body = new Blob(parts, { type: "application/octet-stream" });
        parts = [];
        if (pending) await pending;
        pending = send(ctx.base + "/files/" + i + "/chunks/" + piece, "PUT", body, false);
        piece += 1;
      }
    }
    await pending;
    return {
      role: item.role, name: file.name, size: file.size, sha256: hex(plainHash.digest()),
      nonce_prefix: b64(prefix), ciphertext_size: file.size + TAG * n,
      ciphertext_sha256: hex(sealedHash.digest()),
    };
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
    var uploads = form.getAttribute("data-upload");
    var upload = await send(uploads, "POST", {
      section: section,
      sizes: input.files.map(function (item) {
        return item.file.size + TAG * chunkCount(item.file.size);
      }),
    }, true);
    var ctx = { section: section, bidder: bidder, key: key, base: uploads + "/" + upload.id };
    var entries = [];
    for (var i = 0; i < input.files.length; i++) {
      entries.push(await sealFile(ctx, input.files[i], i, input.files.length));
    }
    var scheduleNonce = random(12);
    var scheduleSealed = await subtle.encrypt(
      { name: "AES-GCM", iv: scheduleNonce, additionalData: scheduleAad(section, bidder),
        tagLength: 128 }, key, utf8.encode(JSON.stringify(input.schedule)));
    var manifest = {
      version: FORMAT, section: section, bidder: bidder, chunk_size: CHUNK,
      kdf: { name: "PBKDF2-SHA256", iterations: iterations, salt: b64(salt) },
      key_wrap: { name: "AES-KW", wrapped_key: b64(wrapped) },
      files: entries,
      schedule: { nonce: b64(scheduleNonce), ciphertext: b64(scheduleSealed) },
    };
    say(msg("uploading"));
    return send(ctx.base + "/finish", "POST", { manifest: manifest }, true);
  }

  if (!window.crypto || !crypto.subtle || !window.fetch) {
    say(msg("unsupported"));
    return;
  }
  import(form.getAttribute("data-sha256")).then(function (module) {
    sha256 = module.sha256;
    say(msg("ready"));
    button.disabled = false;
  }, function () {
    say(msg("unsupported"));
  });

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
