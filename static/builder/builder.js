/* Order builder: keyboard-first behaviour on top of htmx.
 *
 * - ARIA 1.2 combobox/listbox for the customer and product lookups (arrow keys,
 *   Enter to choose, Escape to close), the first match highlighted.
 * - Enter in a quantity returns to the product lookup; Enter never submits a
 *   half-built order; Ctrl+Enter (or Cmd+Enter) creates it.
 * - Alt+C customer lookup, Alt+L product lookup, Alt+Q quick add, 1–9 add a
 *   frequently ordered product (outside text boxes).
 * - The draft is kept in sessionStorage and restored after a reload; leaving a
 *   changed draft asks first.
 * - Touch: the quantity steppers (and ArrowUp/ArrowDown in a quantity) step by the
 *   product's increment and never below its minimum; quick add can paste straight
 *   from the clipboard; a lookup scrolls to the top of a narrow screen so its list
 *   has room above the on-screen keyboard.
 * No inline scripts: this file is loaded with the page and works by delegation.
 */
(function () {
  "use strict";

  function start() {
    var form = document.getElementById("order-form");
    if (!form || !window.htmx || form.hasAttribute("data-builder-ready")) { return; }
    form.setAttribute("data-builder-ready", "");

    var draftKey = form.getAttribute("data-draft-key");
    var dirty = false;
    var restoring = false;
    var pendingFocus = null;
    var saveTimer = null;


    function byId(id) { return document.getElementById(id); }

    function announce(text) {
      var region = byId("builder-status");
      if (!region) { return; }
      region.textContent = "";
      window.setTimeout(function () { region.textContent = text; }, 30);
    }

    function csrfToken() {
      var meta = document.querySelector('meta[name="csrf-token"]');
      if (meta) { return meta.getAttribute("content"); }
      var input = form.querySelector('input[name="csrf_token"]');
      return input ? input.value : "";
    }

    function isEditable(el) {
      if (!el || !el.tagName) { return false; }
      var tag = el.tagName.toLowerCase();
      return tag === "input" || tag === "textarea" || tag === "select" || el.isContentEditable;
    }

    // ------------------------------------------------------------------ draft

    function serialize() {
      var params = new URLSearchParams(new FormData(form));
      params.delete("csrf_token");
      params.delete("q");
      return params.toString();
    }

    function saveDraft() {
      if (!draftKey || restoring || !dirty) { return; }
      try { window.sessionStorage.setItem(draftKey, serialize()); } catch (e) { /* storage full or disabled */ }
    }

    function saveSoon() {
      window.clearTimeout(saveTimer);
      saveTimer = window.setTimeout(saveDraft, 200);
    }

    function markDirty() { dirty = true; saveSoon(); }

    function clearDraft() {
      dirty = false;
      if (draftKey) { try { window.sessionStorage.removeItem(draftKey); } catch (e) { /* ignore */ } }
    }

    function restoreDraft() {
      var saved = null;
      try { saved = draftKey ? window.sessionStorage.getItem(draftKey) : null; } catch (e) { saved = null; }
      if (!saved) { return; }
      restoring = true;
      form.setAttribute("aria-busy", "true");
      fetch(form.getAttribute("data-draft-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": csrfToken(), "HX-Request": "true" },
        body: saved
      }).then(function (response) {
        if (!response.ok) { throw new Error("restore failed: " + response.status); }
        return response.text();
      }).then(function (html) {
        form.innerHTML = html;
        htmx.process(form);
        dirty = true;
        afterRender();
        announce("Your unsaved order was restored.");
      }).catch(function () { /* keep the blank form */ }).then(function () {
        restoring = false;
        form.removeAttribute("aria-busy");
      });
    }

    window.addEventListener("beforeunload", function (event) {
      if (!dirty) { return undefined; }
      saveDraft();
      event.preventDefault();
      event.returnValue = "";
      return "";
    });

    document.addEventListener("orderCreated", clearDraft);

    // ------------------------------------------------------------------ combobox

    function listboxOf(input) { return byId(input.getAttribute("aria-controls")); }

    function optionsOf(input) {
      var listbox = listboxOf(input);
      return listbox ? Array.prototype.slice.call(listbox.querySelectorAll('[role="option"]:not([aria-disabled="true"])')) : [];
    }

    function activeIndex(input) {
      var id = input.getAttribute("aria-activedescendant");
      var opts = optionsOf(input);
      for (var i = 0; i < opts.length; i++) { if (opts[i].id === id) { return i; } }
      return -1;
    }

    function setActive(input, index) {
      var opts = optionsOf(input);
      opts.forEach(function (opt, i) {
        opt.setAttribute("aria-selected", i === index ? "true" : "false");
        opt.classList.toggle("active", i === index);
      });
      if (index >= 0 && opts[index]) {
        input.setAttribute("aria-activedescendant", opts[index].id);
        opts[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function setOpen(input, open) {
      var listbox = listboxOf(input);
      if (!listbox) { return; }
      listbox.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      if (!open) { input.removeAttribute("aria-activedescendant"); }
    }

    function comboboxFor(listbox) {
      return document.querySelector('[data-combobox][aria-controls="' + listbox.id + '"]');
    }

    function choose(input, option) {
      if (!option || option.getAttribute("aria-disabled") === "true") { return; }
      htmx.process(option);  // options swapped in a moment ago may not be initialised yet
      option.click();
    }

    function onOptionChosen(option) {
      var listbox = option.closest('[role="listbox"]');
      var input = listbox && comboboxFor(listbox);
      if (!input) { return; }
      input.value = option.getAttribute("data-label") || "";
      setOpen(input, false);
      markDirty();
      input.focus();
    }

    function comboKey(event, input) {
      var opts = optionsOf(input);
      var open = input.getAttribute("aria-expanded") === "true";
      var index = activeIndex(input);
      switch (event.key) {
        case "ArrowDown":
          event.preventDefault();
          if (!opts.length) { return; }
          setOpen(input, true);
          setActive(input, Math.min(index + 1, opts.length - 1));
          return;
        case "ArrowUp":
          event.preventDefault();
          if (!opts.length) { return; }
          setOpen(input, true);
          setActive(input, Math.max(index - 1, 0));
          return;
        case "Home":
        case "End":
          if (open && opts.length) {
            event.preventDefault();
            setActive(input, event.key === "Home" ? 0 : opts.length - 1);
          }
          return;
        case "Enter":
          event.preventDefault();
          if (open && index >= 0) { choose(input, opts[index]); }
          return;
        case "Escape":
          if (open) { event.preventDefault(); setOpen(input, false); } else if (input.value) { event.preventDefault(); input.value = ""; }
          return;
        case "Tab":
          setOpen(input, false);
          return;
        default:
          return;
      }
    }

    document.addEventListener("mousedown", function (event) {
      if (event.target.closest && event.target.closest('[role="listbox"]')) { event.preventDefault(); }
    });

    document.addEventListener("click", function (event) {
      var target = event.target;
      if (!target.closest) { return; }
      var option = target.closest('[role="option"]');
      if (option && option.closest("#order-form")) { onOptionChosen(option); return; }

      var stepper = target.closest("[data-step-qty]");
      if (stepper) {
        var box = byId(stepper.getAttribute("data-for"));
        if (box) { stepQuantity(box, parseInt(stepper.getAttribute("data-step-qty"), 10)); }
        return;
      }

      if (target.closest("[data-paste-quick-add]")) { pasteAndAdd(); return; }

      var fix = target.closest("[data-set-qty]");
      if (fix) {
        var qty = byId(fix.getAttribute("data-for"));
        if (qty) {
          qty.value = fix.getAttribute("data-set-qty");
          qty.focus();
          qty.dispatchEvent(new Event("input", { bubbles: true }));
          syncStepper(qty);
          markDirty();
        }
        return;
      }

      var remove = target.closest("[data-remove-line]");
      if (remove) {
        var row = remove.closest("tr");
        var next = row && (row.nextElementSibling || row.previousElementSibling);
        pendingFocus = next ? next.querySelector("[data-line-qty]").id : "product-lookup";
        markDirty();
        return;
      }

      var after = target.closest("[data-focus-after]");
      if (after) { pendingFocus = after.getAttribute("data-focus-after"); markDirty(); return; }

      if (target.closest("[data-discard-draft]")) {
        if (window.confirm("Discard this order? Everything typed so far will be lost.")) {
          clearDraft();
          window.location.assign(window.location.pathname);
        }
        return;
      }

      if (target.closest("[data-shortcut], #quick-add-button")) { markDirty(); }
    });

    var narrow = window.matchMedia ? window.matchMedia("(max-width: 47.99rem)") : null;
    document.addEventListener("focusin", function (event) {
      var input = event.target;
      if (!narrow || !narrow.matches || !input.matches || !input.matches("[data-combobox]")) { return; }
      window.setTimeout(function () {
        if (document.activeElement === input) { input.scrollIntoView({ block: "start" }); }
      }, 50);
    });

    document.addEventListener("focusout", function (event) {
      var input = event.target;
      if (!input.matches || !input.matches("[data-combobox]")) { return; }
      window.setTimeout(function () {
        if (document.activeElement !== input) { setOpen(input, false); }
      }, 150);
    });

    // ------------------------------------------------------------------ quantity steppers

    function quantityRule(input) {
      var min = parseInt(input.getAttribute("data-min"), 10);
      var step = parseInt(input.getAttribute("data-step"), 10);
      return { min: min > 0 ? min : 1, step: step > 0 ? step : 1 };
    }

    // The next valid quantity (minimum + n × increment) above or below the current one;
    // an empty or unreadable box starts at the minimum.
    function steppedQuantity(input, direction) {
      var rule = quantityRule(input);
      var current = /^\s*\d+\s*$/.test(input.value) ? parseInt(input.value, 10) : NaN;
      if (isNaN(current)) { return rule.min; }
      if (direction > 0) {
        if (current < rule.min) { return rule.min; }
        return rule.min + (Math.floor((current - rule.min) / rule.step) + 1) * rule.step;
      }
      if (current <= rule.min) { return rule.min; }
      return rule.min + Math.max(Math.ceil((current - rule.min) / rule.step) - 1, 0) * rule.step;
    }

    function syncStepper(input) {
      var down = input.parentNode && input.parentNode.querySelector('[data-step-qty="-1"]');
      if (!down) { return; }
      var current = parseInt(input.value, 10);
      down.disabled = !isNaN(current) && current <= quantityRule(input).min;
    }

    function stepQuantity(input, direction) {
      var next = steppedQuantity(input, direction);
      if (String(next) === input.value.trim()) { syncStepper(input); return; }
      input.value = String(next);
      input.dispatchEvent(new Event("input", { bubbles: true }));
      syncStepper(input);
      markDirty();
    }

    // ------------------------------------------------------------------ quick add from the clipboard

    var pasteButton = byId("quick-add-paste");
    if (pasteButton && navigator.clipboard && navigator.clipboard.readText) { pasteButton.hidden = false; }

    function pasteAndAdd() {
      navigator.clipboard.readText().then(function (text) {
        var box = byId("f-quick-add");
        if (!box) { return; }
        if (!text.trim()) { announce("The clipboard is empty."); return; }
        box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n" + text : text;
        markDirty();
        var add = byId("quick-add-button");
        if (add) { add.click(); }
      }).catch(function () {
        announce("The clipboard could not be read: press and hold in the box and choose Paste.");
        focusField("f-quick-add");
      });
    }

    // ------------------------------------------------------------------ keyboard

    function focusField(id) {
      var el = byId(id);
      if (!el) { return; }
      var details = el.closest("details");
      if (details) { details.open = true; }
      el.focus();
      if (el.select) { el.select(); }
    }

    document.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
        return;
      }
      if (event.altKey && !event.ctrlKey && !event.metaKey) {
        var jump = { KeyC: "customer-lookup", KeyL: "product-lookup", KeyQ: "f-quick-add" }[event.code];
        if (jump) { event.preventDefault(); focusField(jump); return; }
      }
      if (target.matches && target.matches("[data-combobox]")) { comboKey(event, target); return; }
      if ((event.key === "ArrowUp" || event.key === "ArrowDown") && !event.altKey && !event.ctrlKey && !event.metaKey &&
          target.matches && target.matches("[data-line-qty]")) {
        event.preventDefault();
        stepQuantity(target, event.key === "ArrowUp" ? 1 : -1);
        return;
      }
      if (event.key === "Enter" && target.matches && target.matches("[data-line-qty]")) {
        event.preventDefault();
        focusField("product-lookup");
        return;
      }
      if (event.key === "Enter" && target.closest && target.closest("#order-form") && target.tagName === "INPUT") {
        event.preventDefault();  // Enter never submits a half-built order
        return;
      }
      if (/^[1-9]$/.test(event.key) && !event.ctrlKey && !event.altKey && !event.metaKey && !isEditable(target)) {
        var button = document.querySelector('[data-shortcut="' + event.key + '"]');
        if (button) { event.preventDefault(); button.click(); }
      }
    });

    form.addEventListener("input", function (event) {
      if (event.target.matches && event.target.matches("[data-combobox]")) { return; }
      if (event.target.matches && event.target.matches("[data-line-qty]")) { syncStepper(event.target); }
      markDirty();
    });
    form.addEventListener("change", function (event) {
      if (event.target.matches && event.target.matches("[data-combobox]")) { return; }
      markDirty();
    });

    // ------------------------------------------------------------------ after each swap

    function syncInvalid() {
      Array.prototype.forEach.call(form.querySelectorAll("[data-line-qty]"), function (input) {
        var message = byId(input.getAttribute("aria-describedby"));
        var invalid = !!(message && message.querySelector("[data-invalid]"));
        if (invalid) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
        var row = input.closest("tr");
        if (row) { row.classList.toggle("has-problem", invalid); }
      });
    }

    function afterRender() {
      syncInvalid();
      Array.prototype.forEach.call(form.querySelectorAll("[data-line-qty]"), syncStepper);
      var paste = byId("quick-add-paste");
      if (paste && navigator.clipboard && navigator.clipboard.readText) { paste.hidden = false; }
      var auto = form.querySelector("[data-autofocus]");
      if (auto) {
        htmx.process(auto);
        auto.removeAttribute("data-autofocus");
        auto.focus();
        auto.select();
      } else if (pendingFocus) {
        var el = byId(pendingFocus);
        if (el) { el.focus(); }
      }
      pendingFocus = null;
      saveSoon();
    }

    function isListbox(el) { return !!(el && el.getAttribute && el.getAttribute("role") === "listbox"); }

    // Lookup results: opened and highlighted once settled (settling restores server classes).
    document.addEventListener("htmx:afterSettle", function (event) {
      var target = event.detail && event.detail.target;
      if (isListbox(target)) {
        var input = comboboxFor(target);
        if (!input) { return; }
        var opts = optionsOf(input);
        var hasAny = target.querySelector('[role="option"]');
        setOpen(input, !!hasAny && document.activeElement === input);
        setActive(input, opts.length ? 0 : -1);
        if (document.activeElement === input && input.value.trim()) {
          announce(opts.length ? opts.length + (opts.length === 1 ? " match" : " matches") + ", first highlighted" : "No matches");
        }
        return;
      }
      afterRender();
      if (target === form) {
        var summary = byId("error-summary");
        if (summary) { summary.focus(); }
      }
    });


    document.addEventListener("htmx:sendError", function () {
      announce("The server could not be reached. Your order is kept in this tab; try again.");
    });

    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("[data-focus-link]");
      if (!link) { return; }
      event.preventDefault();
      var id = link.getAttribute("href").slice(1);
      var el = byId(id);
      if (el) { el.focus(); el.scrollIntoView({ block: "center" }); }
    });

    restoreDraft();
  }

  // htmx may load after this file (its own deferred script): start once both are here.
  if (window.htmx) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
