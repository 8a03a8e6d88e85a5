// Reader pages: a font size the reader chooses once and keeps (stored in this browser).
(function () {
  "use strict";
  var KEY = "bulletin-font-size";
  var SIZES = [15, 17, 19, 22, 25];
  var root = document.documentElement;

  function stored() {
    try {
      var value = parseInt(window.localStorage.getItem(KEY), 10);
      return SIZES.indexOf(value) >= 0 ? value : null;
    } catch (error) {
      return null; // storage may be disabled (private mode, some in-app browsers)
    }
  }

  function apply(size) {
    root.style.fontSize = size + "px";
    root.setAttribute("data-font-size", String(size));
  }

  function step(direction) {
    var current = stored() || 17;
    var index = Math.min(Math.max(SIZES.indexOf(current) + direction, 0), SIZES.length - 1);
    try {
      window.localStorage.setItem(KEY, String(SIZES[index]));
    } catch (error) { /* the size still applies to this page */ }
    apply(SIZES[index]);
  }

  var initial = stored();
  if (initial) {
    apply(initial);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("[data-font-step]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function () {
        step(parseInt(button.getAttribute("data-font-step"), 10));
      });
    });
  });
})();
