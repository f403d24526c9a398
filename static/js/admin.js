// The branding page's preview follows the colour and order being picked (no inline script: CSP).
(function () {
  "use strict";
  function refresh() {
    var img = document.getElementById("pdf-preview");
    var colour = document.querySelector("[data-accent]");
    var order = document.querySelector("[data-preview-order]");
    if (!img || !colour) return;
    var params = new URLSearchParams({ accent: colour.value });
    if (order && order.value) params.set("order", order.value);
    img.src = img.dataset.previewBase + "?" + params.toString();
  }
  var timer = null;
  document.addEventListener("input", function (event) {
    if (!event.target.matches("[data-accent]")) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-accent], [data-preview-order]")) refresh();
  });
})();
