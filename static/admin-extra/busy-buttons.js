/*
 * Upload and confirm buttons in the back office say what is happening once pressed
 * ("正在上传…" / "正在处理…") and cannot be pressed again: a 13 MB Word file takes a while to
 * send, and a second press would send it, or the confirmed step, twice.
 *
 * Loaded on every admin page by templates/admin/base_site.html (a static file: the policy
 * allows no inline script). Without it the forms work as before.
 *
 * Forms it watches: any form with a file input (uploads), django-import-export's confirm form
 * (".../process_import/"), the workflow's confirmation pages (a hidden "confirmed" field),
 * Django's delete confirmation, and any form or button marked with data-busy-label.
 * Not every admin form: one that answers with a download (an export) never leaves the page,
 * and its button would stay pressed.
 */
(function () {
  "use strict";

  var UPLOADING = "正在上传…";
  var WORKING = "正在处理…";

  function hasChosenFile(form) {
    var inputs = form.querySelectorAll("input[type=file]");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].files && inputs[i].files.length) return true;
    }
    return false;
  }

  function isWatched(form) {
    if (form.hasAttribute("data-busy-label")) return true;
    if (form.querySelector("[data-busy-label]")) return true;
    if (form.querySelector("input[type=file]")) return true;
    if (form.querySelector("input[type=hidden][name=confirmed]")) return true;
    if (/\/process_import\/?$/.test(form.getAttribute("action") || "")) return true;
    return document.body.classList.contains("delete-confirmation");
  }

  function labelFor(form, button) {
    if (button && button.getAttribute("data-busy-label")) {
      return button.getAttribute("data-busy-label");
    }
    if (form.getAttribute("data-busy-label")) return form.getAttribute("data-busy-label");
    return hasChosenFile(form) ? UPLOADING : WORKING;
  }

  function setText(button, text) {
    if (button.tagName === "INPUT") {
      button.value = text;
    } else {
      button.textContent = text;
    }
  }

  function textOf(button) {
    return button.tagName === "INPUT" ? button.value : button.textContent;
  }

  function markBusy(form, submitter) {
    var label = labelFor(form, submitter);
    var buttons = form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
    for (var i = 0; i < buttons.length; i++) {
      var button = buttons[i];
      button.setAttribute("data-idle-text", textOf(button));
      button.disabled = true;
      button.setAttribute("aria-disabled", "true");
      if (button === submitter || (!submitter && i === 0)) setText(button, label);
    }
    form.setAttribute("aria-busy", "true");
    form.classList.add("is-busy");
  }

  function restore(form) {
    var buttons = form.querySelectorAll("[data-idle-text]");
    for (var i = 0; i < buttons.length; i++) {
      setText(buttons[i], buttons[i].getAttribute("data-idle-text"));
      buttons[i].removeAttribute("data-idle-text");
      buttons[i].removeAttribute("aria-disabled");
      buttons[i].disabled = false;
    }
    form.removeAttribute("aria-busy");
    form.removeAttribute("data-busy");
    form.classList.remove("is-busy");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !isWatched(form)) return;
    if (form.getAttribute("data-busy") === "1") {
      event.preventDefault(); // the first press is on its way
      return;
    }
    if (event.defaultPrevented) return; // another script stopped this one
    form.setAttribute("data-busy", "1");
    var submitter = event.submitter || null;
    // After the browser has collected the form's fields: a button disabled now would leave out
    // its own name (the admin's "_save", import-export's "confirm").
    window.setTimeout(function () {
      markBusy(form, submitter);
    }, 0);
  });

  // Back from the next page, the browser may show this page as it was left: ready again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    var forms = document.querySelectorAll("form[data-busy]");
    for (var i = 0; i < forms.length; i++) restore(forms[i]);
  });
})();
