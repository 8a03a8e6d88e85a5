// The export page's 全选 box, wired here rather than by an inline onchange attribute, which
// the back office's Content-Security-Policy (script-src 'self') does not run. The handler is
// django-import-export's own (export_selectable_fields.js, loaded by the form's media).
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.getElementById("select-all-toggle");
  if (toggle && typeof onSelectToggleChange === "function") {
    toggle.addEventListener("change", onSelectToggleChange);
  }
});
