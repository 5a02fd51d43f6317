// QQ-DRAW-1 recomputed in the reader's browser with WebCrypto, so that anyone can check a draw
// without installing anything. It mirrors qinqing/bidding/draw/rules.py (verify_proof) step by
// step and reports the first mismatch; the page's texts come from data-* attributes (gettext).
(function () {
  "use strict";

  var ALGORITHM = "QQ-DRAW-1";
  var NONCE_BYTES = 32;
  var FIELDS = {
    algorithm: "string", draw_id: "string", pool: "list", pool_digest: "string",
    commitment: "string", server_nonce: "string", witness_entropy: "string",
    quota: "int", backups: "int", drawn: "list",
  };
  var TWO64 = 1n << 64n;
  var utf8 = new TextEncoder();

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
  }

  function fromHex(text) {
    if (!/^(?:[0-9a-f]{2})*$/.test(text)) return null;
    var out = new Uint8Array(text.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
    return out;
  }

  function sha256(bytes) {
    return crypto.subtle.digest("SHA-256", bytes).then(hex);
  }

  function hmacKey(key) {
    return crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  }

  // Python sorts str by code point; JavaScript's default sort compares UTF-16 units.
  function byCodePoint(a, b) {
    var x = Array.from(a), y = Array.from(b);
    for (var i = 0; i < Math.min(x.length, y.length); i++) {
      var d = x[i].codePointAt(0) - y[i].codePointAt(0);
      if (d !== 0) return d;
    }
    return x.length - y.length;
  }

  function shapeProblem(proof, msg) {
    for (var name in FIELDS) {
      if (!(name in proof)) return msg.missing + name;
      var value = proof[name], kind = FIELDS[name];
      var ok = kind === "list" ? Array.isArray(value) && value.every(function (c) {
        return typeof c === "string";
      }) : kind === "int" ? Number.isInteger(value) : typeof value === kind;
      if (!ok) return msg.type + name;
    }
    return null;
  }

  // Step 5: 8-byte big-endian integers from HMAC-SHA256(seed, i) blocks, four per block.
  function u64Stream(seedKey) {
    var block = null, offset = 32, index = 0n;
    return async function next() {
      if (offset === 32) {
        var counter = new DataView(new ArrayBuffer(8));
        counter.setBigUint64(0, index);
        index += 1n;
        block = new DataView(await crypto.subtle.sign("HMAC", seedKey, counter.buffer));
        offset = 0;
      }
      var value = block.getBigUint64(offset);
      offset += 8;
      return value;
    };
  }

  // Step 6: uniform in [0, n) by rejection sampling.
  async function uniformBelow(n, next) {
    var big = BigInt(n);
    var limit = TWO64 - (TWO64 % big);
    var u;
    do { u = await next(); } while (u >= limit);
    return Number(u % big);
  }

  async function recompute(proof, pool) {
    var nonceKey = await hmacKey(fromHex(proof.server_nonce));
    var message = [ALGORITHM, proof.draw_id, proof.pool_digest, proof.witness_entropy].join("|");
    var seed = await crypto.subtle.sign("HMAC", nonceKey, utf8.encode(message));
    var next = u64Stream(await hmacKey(seed));
    var items = pool.slice();
    var m = Math.min(proof.quota + proof.backups, items.length);
    for (var k = 0; k < m; k++) {  // step 7: partial Fisher-Yates shuffle
      var j = k + await uniformBelow(items.length - k, next);
      var t = items[k]; items[k] = items[j]; items[j] = t;
    }
    return items.slice(0, m);
  }

  // The problems in rules.verify_proof's order; the first one is shown.
  async function verify(proof, msg) {
    var shape = shapeProblem(proof, msg);
    if (shape) return shape;
    if (proof.algorithm !== ALGORITHM) return msg.algorithm;
    var pool = proof.pool.slice().sort(byCodePoint);
    for (var i = 0; i < pool.length; i++) {
      if (!pool[i] || pool[i].indexOf("\n") >= 0 || (i > 0 && pool[i] === pool[i - 1])) {
        return msg.pool + JSON.stringify(pool[i]);
      }
    }
    if (pool.some(function (code, n) { return code !== proof.pool[n]; })) return msg.order;
    if (await sha256(utf8.encode(pool.join("\n"))) !== proof.pool_digest) return msg.digest;
    var nonce = fromHex(proof.server_nonce);
    if (!nonce || nonce.length !== NONCE_BYTES) return msg.nonce;
    if (await sha256(nonce) !== proof.commitment) return msg.commitment;
    if (proof.quota < 1 || proof.backups < 0 || pool.length < proof.quota) return msg.counts;
    var drawn = await recompute(proof, pool);
    var length = Math.max(drawn.length, proof.drawn.length);
    for (var n = 0; n < length; n++) {
      if (drawn[n] !== proof.drawn[n]) return msg.drawn.replace("{n}", String(n + 1));
    }
    return null;
  }

  function setup(box) {
    var data = box.dataset;
    var msg = {
      missing: data.msgMissing, type: data.msgType, algorithm: data.msgAlgorithm,
      pool: data.msgPool, order: data.msgOrder, digest: data.msgDigest, nonce: data.msgNonce,
      commitment: data.msgCommitment, counts: data.msgCounts, drawn: data.msgDrawn,
    };
    box.querySelectorAll("[data-verify]").forEach(function (button) {
      button.addEventListener("click", async function () {
        var which = button.dataset.verify;
        var out = box.querySelector('[data-result="' + which + '"]');
        out.className = "";
        if (!(window.crypto && crypto.subtle)) {
          out.textContent = data.unsupported;
          out.className = "warn";
          return;
        }
        var proof;
        try {
          var text = which === "page"
            ? document.getElementById("draw-proof").textContent
            : document.getElementById("proof-paste").value;
          proof = JSON.parse(text);
          if (proof === null || typeof proof !== "object") throw new Error("not an object");
        } catch (e) {
          out.textContent = data.badJson;
          out.className = "bad";
          return;
        }
        out.textContent = data.working;
        var problem = await verify(proof, msg);
        out.textContent = problem ? data.fail + problem : data.ok;
        out.className = problem ? "bad" : "ok";
        out.dataset.outcome = problem ? "fail" : "ok";
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("proof-verifier");
    if (box) setup(box);
  });
})();
