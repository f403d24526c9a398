// Orderdesk page behaviour: keyboard shortcuts and in-place edit conveniences.
// Loaded as a file (no inline scripts) so the Content-Security-Policy stays strict.
(function () {
  "use strict";

  // "/" focuses the search box from anywhere but a text field.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    // Not while typing; a focused checkbox, button or list box does not take "/" as text.
    var typing = target && (target.isContentEditable || target.tagName === "TEXTAREA" ||
      (target.tagName === "INPUT" && !/^(checkbox|radio|button|submit|reset)$/.test(target.type)));
    if (typing) return;
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

// Orders: picking rows for a bulk action. The row checkboxes belong to the bulk form;
// "select every order on this page", shift-click for a range, a live count, and only
// the fields the chosen action needs. Delegated, so it keeps working after htmx swaps.
(function () {
  "use strict";
  var lastClicked = null;

  function rows(form) {
    return Array.prototype.slice.call(document.querySelectorAll("input[name='id'][form='" + form.getAttribute("id") + "']"));
  }

  function refresh() {
    var form = document.querySelector("[data-bulk]");
    if (!form) return;
    var boxes = rows(form);
    var picked = boxes.filter(function (box) { return box.checked; }).length;
    var all = form.querySelector("[data-bulk-all]");
    var count = form.querySelector("[data-bulk-count]");
    if (all && all.checked) {
      count.textContent = all.parentNode.textContent.trim() + " selected";
    } else {
      count.textContent = picked === 0 ? "No orders selected" : picked + (picked === 1 ? " order selected" : " orders selected");
    }
    var page = document.querySelector("[data-select-page]");
    if (page) {
      page.checked = boxes.length > 0 && picked === boxes.length;
      page.indeterminate = picked > 0 && picked < boxes.length;
    }
    var action = form.querySelector("[data-bulk-action]");
    Array.prototype.forEach.call(form.querySelectorAll("[data-bulk-for]"), function (field) {
      field.hidden = action && field.getAttribute("data-bulk-for") !== action.value;
    });
    var reason = form.querySelector("#bulk-reason");
    if (reason) reason.required = action && action.value === "cancel";
  }

  document.addEventListener("click", function (event) {
    var box = event.target;
    if (!box || box.name !== "id" || !box.form || !box.form.hasAttribute("data-bulk")) return;
    var boxes = rows(box.form);
    if (event.shiftKey && lastClicked && boxes.indexOf(lastClicked) !== -1) {
      var a = boxes.indexOf(lastClicked), b = boxes.indexOf(box);
      boxes.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (other) { other.checked = box.checked; });
    }
    lastClicked = box;
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.hasAttribute && target.hasAttribute("data-select-page")) {
      var form = document.querySelector("[data-bulk]");
      if (form) rows(form).forEach(function (box) { box.checked = target.checked; });
    }
    refresh();
  });

  document.addEventListener("htmx:afterSwap", refresh);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", refresh);
  } else {
    refresh();
  }
})();
