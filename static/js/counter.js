// The counter (prescriptions/counter.html), usable with a barcode scanner and a keyboard only:
// in a sale form, Enter moves on to the next field instead of submitting; in a traceability
// code box each scanned code (the scanner types it and Enter) starts a new line, and once one
// code per unit is scanned Enter moves on. The count of codes scanned is shown live. The live
// summary itself is htmx (hx-post to the quote endpoint); nothing here computes money.
(function () {
  "use strict";
  var FIELDS = "input:not([type=hidden]), select, textarea, button, summary";

  function codesIn(box) {
    return box.value.split(/\s+/).filter(function (code) {
      return code.length > 0;
    });
  }

  function quantityOf(box) {
    var field = box.form && box.form.elements.namedItem(box.getAttribute("data-codes-for"));
    var n = field ? parseInt(field.value, 10) : NaN;
    return isNaN(n) ? null : n;
  }

  function showCount(box) {
    var out = document.getElementById(box.getAttribute("data-count"));
    if (!out) {
      return;
    }
    var qty = quantityOf(box);
    var n = codesIn(box).length;
    out.textContent = out.getAttribute("data-text")
      .replace("{n}", String(n))
      .replace("{qty}", qty === null ? "—" : String(qty));
    out.classList.toggle("ok", qty !== null && n === qty);
    out.classList.toggle("warn", qty === null || n !== qty);
  }

  function moveOn(field) {
    var all = Array.prototype.filter.call(field.form.querySelectorAll(FIELDS), function (el) {
      return !el.disabled && el.getClientRects().length > 0;
    });
    var next = all[all.indexOf(field) + 1];
    if (next) {
      next.focus();
      if (next.select && next.tagName === "INPUT") {
        next.select();
      }
    }
  }

  function refreshCounts(form) {
    var boxes = form.querySelectorAll("textarea[data-codes-for]");
    for (var i = 0; i < boxes.length; i++) {
      showCount(boxes[i]);
    }
  }

  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || !field.form || !field.form.hasAttribute("data-counter")) {
      return;
    }
    if (field.tagName === "BUTTON" || field.tagName === "SUMMARY") {
      return; // Enter on the submit button settles; on a summary it opens the section.
    }
    if (field.tagName === "TEXTAREA" && field.hasAttribute("data-codes-for")) {
      var qty = quantityOf(field);
      var lastLine = field.value.split("\n").pop().trim();
      var full = qty !== null && codesIn(field).length >= qty;
      if (!full && lastLine !== "") {
        return; // the next code on a new line
      }
      // One code per unit scanned, or Enter on an empty line: move on.
    }
    event.preventDefault();
    moveOn(field);
  });

  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-counter")) {
      refreshCounts(form);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-counter]");
    for (var i = 0; i < forms.length; i++) {
      refreshCounts(forms[i]);
    }
  });
})();
