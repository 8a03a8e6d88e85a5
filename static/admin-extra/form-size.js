// Back-office forms with an editor: sent as multipart/form-data, where Chinese text costs its
// 3 UTF-8 bytes a character instead of 9 URL-encoded, and refused here, before sending, when
// their text is larger than the server accepts (the limit is on this script's tag, from
// settings.BACK_OFFICE_DATA_UPLOAD_MAX_MEMORY_SIZE). A refused form is not sent, so nothing
// typed is lost; the message says what to do.
(function () {
  "use strict";
  var script = document.currentScript;
  var limit = Number(script && script.getAttribute("data-max-form-bytes")) || 0;
  var encoder = new TextEncoder();
  var MB = 1024 * 1024;

  // Counted as Django counts a multipart form's text: each field's name, two bytes, its value.
  function textBytes(form, submitter) {
    var total = 0;
    var data;
    try {
      data = new FormData(form, submitter);
    } catch (error) {
      data = new FormData(form); // browsers without the submitter argument
    }
    data.forEach(function (value, name) {
      if (typeof value === "string") {
        total += encoder.encode(name).length + 2 + encoder.encode(value).length;
      }
    });
    return total;
  }

  function megabytes(bytes) {
    return (bytes / MB).toFixed(1) + " MB";
  }

  function refuse(form, size) {
    var note = form.querySelector(".form-size-refusal");
    if (!note) {
      note = document.createElement("p");
      note.className = "errornote form-size-refusal";
      note.setAttribute("role", "alert");
      note.tabIndex = -1;
      form.insertBefore(note, form.firstChild);
    }
    note.textContent =
      "内容过长，没有提交：本次要保存的文字约 " + megabytes(size) + "，超过了 " +
      megabytes(limit) + " 的上限。您输入的内容都还在，请删减或拆分成几篇后再保存。";
    note.scrollIntoView({ block: "center" });
    note.focus();
  }

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.querySelector("textarea.django_ckeditor_5")) {
        return;
      }
      form.enctype = "multipart/form-data";
      var size = textBytes(form, event.submitter);
      if (limit && size > limit) {
        event.preventDefault();
        refuse(form, size);
      }
    },
    true
  );
})();
