// The "shown once" secrets (API keys, webhook secrets, initial passwords): copy with one click.
// Without JavaScript, or where the clipboard is refused, the value stays in a read-only field to select.
(function () {
  function status(button, text) {
    var holder = button.parentNode.querySelector(".copy-status");
    if (holder) { holder.textContent = text; }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) { return; }
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) { return; }
    field.focus();
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { status(button, "Copied."); },
        function () { status(button, "Select the text and copy it (Ctrl+C / Cmd+C)."); }
      );
    } else {
      var done = false;
      try { done = document.execCommand("copy"); } catch (e) { done = false; }
      status(button, done ? "Copied." : "Select the text and copy it (Ctrl+C / Cmd+C).");
    }
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-select-on-focus")) {
      event.target.select();
    }
  });
})();
