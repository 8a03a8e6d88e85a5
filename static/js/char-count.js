// A text box with a limit (data-max-chars) shows how many characters are left as one types.
// Progressive: without the script the form is the same, and the server refuses a longer text
// with a message that keeps it. The box has no maxlength on purpose: a browser cuts a longer
// paste there without a word.
(function () {
  "use strict";

  // Counted as the server counts: line breaks as one character, surrounding spaces left out,
  // characters outside the BMP (emoji) as one.
  function length(text) {
    var trimmed = text.replace(/\r\n?/g, "\n").trim();
    return Array.from ? Array.from(trimmed).length : trimmed.length;
  }

  function attach(box) {
    var limit = parseInt(box.getAttribute("data-max-chars"), 10);
    if (!limit) return;
    var counter = document.createElement("p");
    counter.className = "char-count";
    counter.id = (box.id || "text") + "-count";
    counter.setAttribute("aria-live", "polite");
    box.parentNode.insertBefore(counter, box.nextSibling);
    var described = box.getAttribute("aria-describedby");
    box.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);

    function update() {
      var left = limit - length(box.value);
      if (left >= 0) {
        counter.textContent = "还可输入 " + left + " 字";
        counter.classList.remove("char-count-over");
      } else {
        counter.textContent = "已超出 " + -left + " 字，请删减后再提交";
        counter.classList.add("char-count-over");
      }
    }
    box.addEventListener("input", update);
    update();
  }

  function start() {
    var boxes = document.querySelectorAll("textarea[data-max-chars]");
    Array.prototype.forEach.call(boxes, attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
