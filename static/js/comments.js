// Comments (批注) on the back office's article and issue pages and on the staff preview.
//
// Select a passage of the page (the change form, its read-only text, the editor, a text box;
// or the preview's article) and press 批注: the comment form gets the passage as its quote.
// On the preview, the passages of open comments are marked. A comment's text is only ever set
// as text (textContent, title), never as HTML. Without this script the change page's form still
// works: the passage can be pasted into 批注的原文 by hand.
(function () {
  "use strict";

  var form = document.querySelector("[data-comment-form]");
  var anchors = document.getElementById("comment-anchors");
  var source = form ? document.querySelector(form.getAttribute("data-comment-source")) :
    document.querySelector("main > article");

  // --- marking the passages of open comments (the preview) ---

  function squeezed(text) {
    return text.replace(/\s+/g, "");
  }

  // The root's text without white space, and where each of its characters is in the page.
  function characters(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, null);
    var text = [];
    var where = [];
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      var value = node.nodeValue;
      for (var i = 0; i < value.length; i++) {
        if (!/\s/.test(value.charAt(i))) {
          text.push(value.charAt(i));
          where.push([node, i]);
        }
      }
    }
    return {text: text.join(""), where: where};
  }

  function mark(root, anchor) {
    var wanted = squeezed(anchor.quote || "");
    if (!wanted) { return; }
    var found = characters(root);
    var at = found.text.indexOf(wanted);
    if (at < 0) { return; }
    // Each text node of the passage, with the part of it that belongs to the passage.
    var parts = [];
    for (var i = at; i < at + wanted.length; i++) {
      var node = found.where[i][0];
      var offset = found.where[i][1];
      var last = parts[parts.length - 1];
      if (last && last.node === node) {
        last.end = offset + 1;
      } else {
        parts.push({node: node, start: offset, end: offset + 1});
      }
    }
    parts.forEach(function (part) {
      var range = document.createRange();
      range.setStart(part.node, part.start);
      range.setEnd(part.node, part.end);
      var highlight = document.createElement("mark");
      highlight.className = "comment-mark";
      highlight.title = "批注（" + anchor.author + "）：" + anchor.text;
      highlight.setAttribute("data-comment", String(anchor.id));
      range.surroundContents(highlight);
    });
  }

  if (anchors && source) {
    var list = [];
    try { list = JSON.parse(anchors.textContent); } catch (error) { list = []; }
    list.forEach(function (anchor) { mark(source, anchor); });
  }

  // --- 批注: the selected passage into the form ---

  if (!form || !source) { return; }
  var pick = document.querySelector("[data-comment-pick]");
  var quote = form.querySelector("[data-comment-quote]");
  var text = form.querySelector("[data-comment-text]");
  var chosen = "";

  function isTextBox(element) {
    return element && (element.tagName === "TEXTAREA" ||
      (element.tagName === "INPUT" && /^(text|search)$/.test(element.type)));
  }

  function selected() {
    var active = document.activeElement;
    if (isTextBox(active) && source.contains(active) && active.selectionEnd > active.selectionStart) {
      return active.value.substring(active.selectionStart, active.selectionEnd);
    }
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) { return ""; }
    var range = selection.getRangeAt(0);
    if (!source.contains(range.commonAncestorContainer)) { return ""; }
    return selection.toString();
  }

  function update() {
    var passage = selected().replace(/\s+/g, " ").trim();
    if (passage) { chosen = passage; }
    pick.hidden = !passage;
  }

  document.addEventListener("selectionchange", update);
  document.addEventListener("mouseup", update);
  document.addEventListener("keyup", update);
  // Pressing the button must not take the selection away first.
  pick.addEventListener("mousedown", function (event) { event.preventDefault(); });
  pick.addEventListener("click", function () {
    if (!chosen) { return; }
    var limit = Number(quote.getAttribute("maxlength")) || chosen.length;
    quote.value = chosen.slice(0, limit);
    form.hidden = false;
    pick.hidden = true;
    form.scrollIntoView({block: "nearest"});
    text.focus();
  });
  var cancel = form.querySelector("[data-comment-cancel]");
  if (cancel) {
    cancel.addEventListener("click", function () {
      form.hidden = true;
      quote.value = "";
    });
  }
})();
