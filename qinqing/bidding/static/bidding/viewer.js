// The bid documents at the workstation (templates/bidding/workstation_documents.html).
// PDF.js (static/vendor/pdfjs, pdfjs-dist) renders one page at a time onto a canvas; the
// watermark (workstation number and the current time) is drawn onto the same canvas after the
// page, so it is part of the pixels, not an element that can be removed. Full-text search reads
// each page's text with getTextContent; the table of contents comes from getOutline. The pages
// on screen are reported to the platform every few seconds (the read log for the supervisors).
// No download: the PDF is fetched from a view that checks the seat and the session, and handed
// to PDF.js as bytes (the view does not serve ranges).

const root = document.getElementById("viewer");

function msg(name) {
  return root.getAttribute("data-msg-" + name) || name;
}

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch (e) {
    return "";
  }
}

async function main() {
  // Three downloads at once, not one after the other: the PDF's bytes, PDF.js's worker
  // (started here and handed to PDF.js as its port) and PDF.js itself.
  const worker = new Worker(root.dataset.worker, { type: "module" });
  const bytes = fetch(root.dataset.src, { credentials: "same-origin", cache: "no-store" }).then(
    (r) => {
      if (!r.ok) throw new Error(String(r.status));
      return r.arrayBuffer();
    },
  );
  bytes.catch(() => {});
  const pdfjs = await import(root.dataset.pdfjs);
  performance.mark("qq-pdfjs-ready"); // bench/viewer.py's breakdown
  pdfjs.GlobalWorkerOptions.workerPort = worker;
  const fileId = Number(root.dataset.file);
  const canvas = document.getElementById("viewer-canvas");
  const statusLine = document.getElementById("viewer-status");
  const pageInput = document.getElementById("viewer-page");
  const totalOut = document.getElementById("viewer-total");
  const hitList = document.getElementById("viewer-hits");
  const say = (text) => { statusLine.textContent = text; };

  let pdf;
  try {
    pdf = await pdfjs.getDocument({
      data: new Uint8Array(await bytes),
      isEvalSupported: false,
    }).promise;
  } catch (e) {
    say(msg("failed"));
    return;
  }
  performance.mark("qq-document-parsed");
  const total = pdf.numPages;
  totalOut.textContent = String(total);
  pageInput.max = String(total);
  let current = Math.min(Math.max(1, Number(root.dataset.page) || 1), total);
  let renderTask = null;
  let shownAt = performance.now();

  // --- the read log: seconds per page while the page is visible, sent every 5 s ---------
  const pending = new Map();
  let countsSent = false;
  function account() {
    const now = performance.now();
    if (document.visibilityState === "visible") {
      const seconds = (now - shownAt) / 1000;
      pending.set(current, (pending.get(current) || 0) + seconds);
    }
    shownAt = now;
  }
  function flush(useBeacon) {
    account();
    const reads = [];
    for (const [page, seconds] of pending) {
      reads.push({ file: fileId, page: page, seconds: Math.min(120, Math.round(seconds)) });
    }
    pending.clear();
    if (!reads.length && countsSent) return;
    const body = { reads: reads };
    if (!countsSent) body.page_counts = { [fileId]: total };
    countsSent = true;
    const text = JSON.stringify(body);
    fetch(root.dataset.readsUrl, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!useBeacon,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: text,
    }).catch(() => {});
  }
  setInterval(() => flush(false), 5000);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flush(true);
    else shownAt = performance.now();
  });
  window.addEventListener("pagehide", () => flush(true));

  // --- rendering and the watermark ------------------------------------------------------
  const clock = new Intl.DateTimeFormat("en-CA", {
    timeZone: root.dataset.tz || "Asia/Shanghai",
    year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  function stamp(ctx, width, height, ratio) {
    // the platform's time zone (settings.TIME_ZONE), whatever the workstation's clock zone
    const parts = {};
    for (const p of clock.formatToParts(new Date())) parts[p.type] = p.value;
    const when = parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" +
      parts.minute;
    const text = msg("watermark") + " " + root.dataset.workstation + "  " + when;
    ctx.save();
    ctx.font = (16 * ratio) + "px sans-serif";
    ctx.fillStyle = "rgba(200, 30, 40, 0.16)";
    ctx.translate(width / 2, height / 2);
    ctx.rotate(-Math.PI / 6);
    const stepX = ctx.measureText(text).width + 80 * ratio;
    const stepY = 110 * ratio;
    const reach = Math.hypot(width, height);
    for (let y = -reach; y < reach; y += stepY) {
      for (let x = -reach; x < reach; x += stepX) {
        ctx.fillText(text, x + ((y / stepY) % 2 ? stepX / 2 : 0), y);
      }
    }
    ctx.restore();
  }

  async function render(n) {
    account();
    current = n;
    pageInput.value = String(n);
    if (renderTask) renderTask.cancel();
    const page = await pdf.getPage(n);
    if (!canvas.dataset.rendered) performance.mark("qq-page-loaded");
    if (n !== current) return;
    const box = canvas.parentElement.clientWidth - 16;
    const base = page.getViewport({ scale: 1 });
    const scale = Math.max(0.5, Math.min(2, box / base.width));
    const ratio = window.devicePixelRatio || 1;
    const viewport = page.getViewport({ scale: scale * ratio });
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    canvas.style.width = Math.floor(viewport.width / ratio) + "px";
    const ctx = canvas.getContext("2d");
    renderTask = page.render({ canvasContext: ctx, canvas: canvas, viewport: viewport });
    try {
      await renderTask.promise;
    } catch (e) {
      return; // cancelled by a newer page
    }
    if (!canvas.dataset.rendered) performance.mark("qq-page-drawn");
    stamp(ctx, canvas.width, canvas.height, ratio);
    if (!canvas.dataset.rendered) performance.mark("qq-first-page"); // bench/viewer.py
    canvas.dataset.rendered = String(n);
    say(msg("page").replace("%s", n) + " / " + total);
    const url = new URL(window.location.href);
    url.searchParams.set("file", String(fileId));
    url.searchParams.set("page", String(n));
    history.replaceState(null, "", url);
  }

  function go(n) {
    n = Math.min(Math.max(1, Math.floor(Number(n)) || 1), total);
    render(n);
  }
  document.getElementById("viewer-prev").addEventListener("click", () => go(current - 1));
  document.getElementById("viewer-next").addEventListener("click", () => go(current + 1));
  pageInput.addEventListener("change", () => go(pageInput.value));
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, textarea, select")) return;
    if (e.key === "ArrowRight" || e.key === "PageDown") go(current + 1);
    if (e.key === "ArrowLeft" || e.key === "PageUp") go(current - 1);
  });
  // the watermark's time stays current while a page is on screen
  setInterval(() => { if (document.visibilityState === "visible") render(current); }, 60000);

  await render(current);

  // --- the table of contents (where the PDF has an outline) -----------------------------
  try {
    const outline = await pdf.getOutline();
    if (outline && outline.length) {
      const list = document.getElementById("viewer-outline-list");
      const build = async (items, into) => {
        for (const item of items) {
          const li = document.createElement("li");
          let target = null;
          try {
            const dest = typeof item.dest === "string" ? await pdf.getDestination(item.dest) : item.dest;
            if (dest && dest[0]) {
              target = typeof dest[0] === "number" ? dest[0] + 1 : (await pdf.getPageIndex(dest[0])) + 1;
            }
          } catch (e) {
            target = null;
          }
          if (target) {
            const a = document.createElement("a");
            a.href = "?file=" + fileId + "&page=" + target;
            a.textContent = item.title;
            a.addEventListener("click", (e) => { e.preventDefault(); go(target); });
            li.appendChild(a);
          } else {
            li.textContent = item.title;
          }
          if (item.items && item.items.length) {
            const sub = document.createElement("ul");
            await build(item.items, sub);
            li.appendChild(sub);
          }
          into.appendChild(li);
        }
      };
      await build(outline, list);
      document.getElementById("viewer-outline").hidden = false;
    }
  } catch (e) {
    // a broken outline leaves the file readable page by page
  }

  // --- full-text search over getTextContent ---------------------------------------------
  const texts = new Map();
  async function pageText(n) {
    if (!texts.has(n)) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      texts.set(n, content.items.map((i) => i.str || "").join(""));
    }
    return texts.get(n);
  }
  const squash = (s) => s.replace(/\s+/g, "").toLowerCase();
  document.getElementById("viewer-search").addEventListener("submit", async (e) => {
    e.preventDefault();
    const raw = document.getElementById("viewer-q").value.trim();
    hitList.textContent = "";
    hitList.hidden = true;
    if (!raw) return;
    const q = squash(raw);
    say(msg("searching"));
    let found = 0;
    for (let n = 1; n <= total; n++) {
      const text = await pageText(n);
      const flat = squash(text);
      const at = flat.indexOf(q);
      if (at < 0) continue;
      found++;
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.page = String(n);
      b.textContent = msg("page").replace("%s", n) + "：…" +
        flat.slice(Math.max(0, at - 12), at + q.length + 12) + "…";
      b.addEventListener("click", () => go(n));
      li.appendChild(b);
      hitList.appendChild(li);
      if (found === 1) go(n);
    }
    hitList.hidden = found === 0;
    say(found ? msg("hits").replace("%s", found) : msg("no-hits"));
  });
}

if (root) main();
