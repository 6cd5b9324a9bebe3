// Small enhancements on top of pages that work without JavaScript.
// htmx 2.0.11 (static/htmx.min.js) is vendored unchanged from the npm package htmx.org, 0BSD licence.
(function () {
  "use strict";
  // Move focus to the error summary so keyboard and screen reader users hear what to fix.
  function focusErrors(root) {
    var summary = (root || document).querySelector("#error-summary");
    if (summary) summary.focus();
  }
  document.addEventListener("DOMContentLoaded", function () { focusErrors(document); });
  document.addEventListener("htmx:afterSwap", function (e) { focusErrors(e.target); });
})();
