// 字数 under each CKEditor 5 of the back office, counted as Chinese editors count (as Word's
// 字数统计 does): each Chinese character or full-width punctuation mark is one, each run of
// other letters or digits (an English word, a number such as 21.5) is one. CKEditor's own
// counter counts words between spaces ("单词数：1" for a Chinese sentence); settings.py hides it.
(function () {
  "use strict";
  var CJK = /[\p{Script=Han}\u3000-\u303f\uff00-\uffef\u2014\u2018\u2019\u201c\u201d\u2026]/gu;
  var WORD = /[\p{L}\p{N}]+(?:[.'’-][\p{L}\p{N}]+)*/gu;
  var DELAY = 300; // ms after the last change: a long article is not recounted at each key

  function count(text) {
    var chinese = text.match(CJK) || [];
    var words = text.replace(CJK, " ").match(WORD) || [];
    return chinese.length + words.length;
  }

  function plainText(editor) {
    var parts = [];
    var range = editor.model.createRangeIn(editor.model.document.getRoot());
    for (var walker = range.getItems(), step = walker.next(); !step.done; step = walker.next()) {
      // Each element (paragraph, cell, list item) starts apart from the text before it.
      parts.push(step.value.is("$textProxy") ? step.value.data : "\n");
    }
    return parts.join("");
  }

  function attach(textarea) {
    var place = document.getElementById(textarea.id + "_script-word-count");
    if (!place || typeof window.ckeditorRegisterCallback !== "function") {
      return;
    }
    window.ckeditorRegisterCallback(textarea.id, function (editor) {
      var output = document.createElement("div");
      output.className = "ck-word-count__chinese";
      output.setAttribute("aria-live", "polite");
      place.appendChild(output);
      var timer = null;
      function show() {
        timer = null;
        output.textContent = "字数：" + count(plainText(editor));
      }
      editor.model.document.on("change:data", function () {
        if (timer === null) {
          timer = window.setTimeout(show, DELAY);
        }
      });
      show();
    });
  }

  document.querySelectorAll("textarea.django_ckeditor_5").forEach(attach);
})();
