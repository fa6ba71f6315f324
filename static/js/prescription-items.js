// Adds an item row to a Django formset: clones the <template> of the empty form, replaces
// __prefix__ with the next index and raises TOTAL_FORMS. Served by the portal (no CDN).
(function () {
  "use strict";
  function setUp(box) {
    var prefix = box.getAttribute("data-formset");
    var total = box.querySelector("#id_" + prefix + "-TOTAL_FORMS");
    var max = parseInt(box.querySelector("#id_" + prefix + "-MAX_NUM_FORMS").value, 10);
    var template = box.querySelector("template");
    var body = box.querySelector("tbody");
    var button = box.querySelector("[data-add-row]");
    if (!total || !template || !body || !button) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var n = parseInt(total.value, 10);
      if (n >= max) {
        button.disabled = true;
        return;
      }
      body.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(n)));
      total.value = String(n + 1);
      if (n + 1 >= max) {
        button.disabled = true;
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var boxes = document.querySelectorAll("[data-formset]");
    for (var i = 0; i < boxes.length; i++) {
      setUp(boxes[i]);
    }
  });
})();
