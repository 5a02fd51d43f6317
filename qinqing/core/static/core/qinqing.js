// Behaviour the templates ask for with data- attributes (the Content-Security-Policy allows no
// inline script or event handler):
//   <select data-autosubmit>            submits its form when changed (the language selector)
//   <form data-confirm="…">, <button data-confirm="…">   asks before the form is submitted
//   <button data-print>                 prints the page
//   <button data-nav-toggle aria-controls="…">   opens and closes the menu on a phone
// Tables are wrapped in a box that scrolls sideways (.table-wrap), so a wide table never makes
// the whole page scroll; a box that does scroll can be reached and scrolled with the keyboard.
// Loaded without defer, so that .js is on <html> before the page is painted (the phone menu
// starts folded instead of flashing open).
"use strict";

document.documentElement.classList.add("js");

function wrapTables(root) {
  const tables = root.matches?.("table") ? [root] : root.querySelectorAll?.("table") || [];
  for (const table of tables) {
    let box = table.parentElement;
    if (!box || !box.classList.contains("table-wrap")) {
      box = document.createElement("div");
      box.className = "table-wrap";
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    }
    markScrollable(box);
  }
}

function markScrollable(box) {
  const scrolls = box.scrollWidth > box.clientWidth + 1;
  if (scrolls && !box.hasAttribute("tabindex")) {
    // "表格（可左右滑动）" in the page's language, from <html data-scroll-label>
    const label = document.documentElement.dataset.scrollLabel || "表格（可左右滑动）";
    const caption = box.querySelector("caption");
    const heading = box.closest("section, .card")?.querySelector("h2, h3");
    const name = (caption || heading)?.textContent.trim();
    box.tabIndex = 0;
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", name ? `${name} · ${label}` : label);
    box.dataset.scrollable = "";
  } else if (!scrolls && box.dataset.scrollable !== undefined) {
    for (const name of ["tabindex", "role", "aria-label", "data-scrollable"]) box.removeAttribute(name);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  wrapTables(document.body);
  // A form sent back with errors: put the cursor in the first field to correct (its error is
  // read out with it, through aria-describedby), unless the page chose a field itself.
  const invalid = document.querySelector('#content [aria-invalid="true"]');
  if (invalid && !document.querySelector("[autofocus]")) invalid.focus();
});
// htmx puts new content in the page: wrap its tables too.
document.addEventListener("htmx:load", (event) => wrapTables(event.target));
let resizeTimer;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => document.querySelectorAll(".table-wrap").forEach(markScrollable), 150);
});

function setMenu(button, open) {
  const menu = document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) return;
  menu.classList.toggle("open", open);
  button.setAttribute("aria-expanded", String(open));
}

document.addEventListener("change", (event) => {
  const field = event.target;
  if (field.matches("[data-autosubmit]") && field.form) field.form.submit();
});

// Capturing, so a refusal comes before any other listener (htmx) sends the form.
document.addEventListener(
  "submit",
  (event) => {
    const question = event.submitter?.dataset.confirm || event.target.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopPropagation();
    }
  },
  true,
);

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
  const toggle = event.target.closest("[data-nav-toggle]");
  if (toggle) setMenu(toggle, toggle.getAttribute("aria-expanded") !== "true");
});

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const toggle = document.querySelector('[data-nav-toggle][aria-expanded="true"]');
  if (toggle) {
    setMenu(toggle, false);
    toggle.focus();
  }
});
