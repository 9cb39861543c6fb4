// Light progressive enhancement; every page works without it.
// Forms with data-confirm ask before they submit (e.g. cancelling an order).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
