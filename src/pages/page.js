// ociref's only script, a progressive enhancement: every page works without it.
// The catalog's filter narrows this page's rows while typing (Enter searches every page on
// the server); copy buttons put a snippet on the clipboard.
"use strict";
(function () {
  var box = document.getElementById("q");
  var status = document.getElementById("filter-status");
  if (box && status) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-name]"));
    var sections = document.querySelectorAll("section[data-host]");
    var initial = status.textContent;
    var typed = box.value;
    box.addEventListener("input", function () {
      var needle = box.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (row) {
        var hit = row.getAttribute("data-name").indexOf(needle) !== -1;
        row.hidden = !hit;
        if (hit) shown += 1;
      });
      sections.forEach(function (section) {
        section.hidden = !section.querySelector("tr[data-name]:not([hidden])");
      });
      status.textContent = box.value === typed ? initial :
        shown + " of " + rows.length + " on this page match. Press Enter to search every page.";
    });
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var label = button.firstChild.nodeValue;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function (text) {
        button.firstChild.nodeValue = text;
        setTimeout(function () { button.firstChild.nodeValue = label; }, 2000);
      };
      var select = function () {
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        done("Selected");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.textContent).then(function () { done("Copied"); }, select);
      } else {
        select();
      }
    });
  });
})();
