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
  // Copy buttons (data-copy holds the text); they stay hidden where the clipboard is unavailable.
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    if (!navigator.clipboard) { return; }
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var status = document.getElementById(btn.getAttribute("aria-controls"));
      navigator.clipboard.writeText(btn.getAttribute("data-copy")).then(function () {
        if (status) { status.textContent = "Link copied."; }
      }, function () {
        if (status) { status.textContent = "Could not copy: select the link and copy it instead."; }
      });
    });
  });
})();
