// Drag articles within and between sections on the page; "保存编排" sends the whole
// layout. Without this script the ↑ ↓ and 移到栏目 buttons do the same, one step at a time.
(function () {
  "use strict";
  var form = document.querySelector("[data-arrange]");
  if (!form) { return; }
  var dragged = null;

  function layout() {
    return Array.prototype.map.call(form.querySelectorAll("[data-section]"), function (section) {
      var articles = section.querySelectorAll("[data-article]");
      return [Number(section.dataset.section),
        Array.prototype.map.call(articles, function (a) { return Number(a.dataset.article); })];
    });
  }

  function changed() {
    form.querySelector("[name=layout]").value = JSON.stringify(layout());
    var save = form.querySelector(".arrange-save");
    if (save) { save.hidden = false; }
  }

  form.addEventListener("dragstart", function (event) {
    dragged = event.target.closest("[data-article]");
    if (dragged) { event.dataTransfer.effectAllowed = "move"; dragged.classList.add("dragging"); }
  });
  form.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
  });
  form.addEventListener("dragover", function (event) {
    if (!dragged) { return; }
    var list = event.target.closest("[data-articles]");
    if (!list) { return; }
    event.preventDefault();
    var over = event.target.closest("[data-article]");
    var empty = list.querySelector(".arrange-empty");
    if (empty) { empty.remove(); }
    if (over && over !== dragged) {
      var box = over.getBoundingClientRect();
      list.insertBefore(dragged, event.clientY < box.top + box.height / 2 ? over : over.nextSibling);
    } else if (!over) {
      list.appendChild(dragged);
    }
  });
  form.addEventListener("drop", function (event) {
    if (!dragged) { return; }
    event.preventDefault();
    changed();
  });
})();
