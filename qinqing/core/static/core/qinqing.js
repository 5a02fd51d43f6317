// Behaviour the templates ask for with data- attributes (the Content-Security-Policy allows no
// inline script or event handler):
//   <select data-autosubmit>            submits its form when changed (the language selector)
//   <form data-confirm="…">, <button data-confirm="…">   asks before the form is submitted
//   <button data-print>                 prints the page
"use strict";

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
});
