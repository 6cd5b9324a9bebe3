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

  // Pairwise voting: the time from showing the pair to the vote, and ← → to choose.
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-vote]");
    if (!form) return;
    var shown = Date.now();
    form.addEventListener("submit", function () {
      var f = form.querySelector('input[name="response_ms"]');
      if (f) f.value = String(Date.now() - shown);
    });
    document.addEventListener("keydown", function (e) {
      var t = e.target;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable)) return;
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      var button = form.querySelector('button[data-key="' + e.key + '"]');
      if (button) { e.preventDefault(); button.click(); }
    });
  });

  // A character counter under a text area with data-counter="MAX".
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
      var max = parseInt(area.getAttribute("data-counter"), 10);
      var out = document.createElement("p");
      out.className = "hint counter";
      out.setAttribute("aria-live", "polite");
      area.insertAdjacentElement("afterend", out);
      function update() {
        var n = Array.from(area.value).length;
        out.textContent = n + " / " + max;
        out.classList.toggle("over", n > max);
      }
      area.addEventListener("input", update);
      update();
    });
  });

  // A participant waiting for the next part: the page reloads when the workshop changes.
  document.addEventListener("DOMContentLoaded", function () {
    var waiting = document.querySelector("[data-live-reload]");
    if (!waiting || !window.EventSource) return;
    var source = new EventSource(waiting.getAttribute("data-live-reload"));
    var first = true;
    source.addEventListener("update", function () {
      if (first) { first = false; return; }
      source.close();
      window.location.reload();
    });
  });

  // The header's menu (a <details> that works without this): Escape closes it and returns
  // to its button, as a menu button does.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var menu = document.querySelector("details.menu[open]");
    if (!menu || !menu.contains(document.activeElement)) return;
    menu.open = false;
    var summary = menu.querySelector("summary");
    if (summary) summary.focus();
  });

  // Live results: on each server-sent update, fetch the page again and swap the section.
  document.addEventListener("DOMContentLoaded", function () {
    var live = document.querySelector("[data-live]");
    if (!live || !window.EventSource) return;
    var source = new EventSource(live.getAttribute("data-live"));
    var first = true;
    source.addEventListener("update", function () {
      if (first) { first = false; return; }
      fetch(window.location.href, { headers: { "Accept": "text/html" } })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById(live.id);
          if (fresh) live.innerHTML = fresh.innerHTML;
        });
    });
  });
})();

// A checklist item ticked in place (htmx): focus its new button, so a keyboard user goes on
// from where they were.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSettle", function (e) {
    var id = e.detail && e.detail.target && e.detail.target.id;
    if (!id || id.indexOf("item-") !== 0) return;
    var item = document.getElementById(id);
    var button = item && item.querySelector("button");
    if (button) button.focus();
  });
})();
