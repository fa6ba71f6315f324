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
  // <body data-print-on-load>: a receipt opens the print dialogue once it has loaded.
  window.addEventListener("load", function () {
    if (document.body && document.body.hasAttribute("data-print-on-load")) {
      window.print();
    }
  });
})();
