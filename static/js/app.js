// Progressive enhancement only: every page works without JavaScript.
(function () {
  "use strict";
  // Ask before destructive actions that carry data-confirm.
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); }
  });
  // Move focus to the error summary so screen-reader users hear what went wrong.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
})();
