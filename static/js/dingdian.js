// The portal's page behaviour, wired by data attributes: the Content-Security-Policy allows
// only script files the portal serves (script-src 'self'), so no page carries inline script,
// on* handler attributes or javascript: URLs. Served by the portal (no CDN).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // <select data-autosubmit>: choosing an option submits its form (membership switch,
    // list filters).
    var selects = document.querySelectorAll("[data-autosubmit]");
    for (var i = 0; i < selects.length; i++) {
      selects[i].addEventListener("change", function (event) {
        var form = event.target.form;
        if (form) {
          form.submit();
        }
      });
    }
  });
  // <button data-confirm="…">: an irreversible or outward-facing action names its consequence
  // and goes ahead only when the user accepts it; accepted, the post carries confirmed=1 and
  // skips the server's confirmation page (core.actions.confirm_page), which stays the check.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var text = button && button.getAttribute("data-confirm");
    if (!text) {
      return;
    }
    if (!window.confirm(text)) {
      event.preventDefault();
      return;
    }
    var form = event.target;
    if (!form.querySelector("input[name=confirmed]")) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "confirmed";
      input.value = "1";
      form.appendChild(input);
    }
  });
  // <body data-print-on-load>: a receipt opens the print dialogue once it has loaded.
  window.addEventListener("load", function () {
    if (document.body && document.body.hasAttribute("data-print-on-load")) {
      window.print();
    }
  });
})();
