// Orderdesk page behaviour: keyboard shortcuts and in-place edit conveniences.
// Loaded as a file (no inline scripts) so the Content-Security-Policy stays strict.
(function () {
  "use strict";

  // "/" focuses the search box from anywhere but a text field.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var box = document.querySelector("[data-shortcut='/']");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });

  // Escape inside an in-place form restores the panel (same as its Cancel link).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var form = event.target && event.target.closest && event.target.closest("form[data-cancel]");
    if (!form) return;
    var cancel = document.querySelector(form.getAttribute("data-cancel"));
    if (cancel) {
      event.preventDefault();
      cancel.click();
    }
  });

  // Orders: on narrow screens the filters fold behind a "Filters" button that shows how
  // many are active (the CSS folds them only when this script has marked the form, so
  // without it every filter stays in view).
  function activeFilterCount(form) {
    var count = 0;
    Array.prototype.forEach.call(form.querySelectorAll("#filters select, #filters input"), function (field) {
      if (field.value) { count += 1; }
    });
    return count;
  }

  function showFilterCount(form) {
    var badge = form.querySelector("[data-filter-count]");
    if (!badge) return;
    var count = activeFilterCount(form);
    badge.firstChild.nodeValue = String(count);
    badge.hidden = count === 0;
  }

  function setUpFilters() {
    var toggle = document.querySelector("[data-filters-toggle]");
    var form = toggle && toggle.closest("form");
    if (!form || form.classList.contains("filters-folded")) return;
    form.classList.add("filters-folded");
    toggle.addEventListener("click", function () {
      var open = !form.classList.contains("filters-open");
      form.classList.toggle("filters-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
    form.addEventListener("change", function () { showFilterCount(form); });
    showFilterCount(form);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpFilters);
  } else {
    setUpFilters();
  }

  // After a panel is swapped back in, keep keyboard focus on it (not lost to <body>).
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.id) return;
    var panel = document.getElementById(target.id);
    if (!panel || !panel.classList.contains("panel")) return;
    var first = panel.querySelector("[aria-invalid='true']") || panel.querySelector("[autofocus]");
    if (first) {
      first.focus();
    } else {
      var edit = panel.querySelector(".panel-head .button");
      if (edit) edit.focus();
    }
  });
})();
