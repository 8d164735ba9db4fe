/* vsr-analysis: wide tables on a phone. Every table of the article is put in a horizontally scrolling box; a
   table wider than its box gets a visible cue ("scroll sideways") and a sticky first column (CSS: .is-wide). */
(function () {
  "use strict";
  function wrap(table) {
    var parent = table.parentElement;
    if (parent && parent.classList.contains("table-scroll")) return parent;
    var box = document.createElement("div");
    box.className = "table-scroll";
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
    return box;
  }
  function mark(box) {
    var wide = box.scrollWidth > box.clientWidth + 1;
    box.classList.toggle("is-wide", wide);
    var cue = box.previousElementSibling;
    var hasCue = cue && cue.classList.contains("scroll-cue");
    if (wide && !hasCue) {
      cue = document.createElement("span");
      cue.className = "scroll-cue";
      cue.textContent = "The table is wider than the page: scroll it sideways.";
      box.parentNode.insertBefore(cue, box);
    } else if (!wide && hasCue) {
      cue.remove();
    }
  }
  function run() {
    var boxes = [];
    document.querySelectorAll(".bd-article table").forEach(function (t) {
      if (t.closest(".table-scroll") && !t.parentElement.classList.contains("table-scroll")) return; // nested
      if (t.classList.contains("glance-table") && window.matchMedia("(max-width: 700px)").matches) return;
      boxes.push(wrap(t));
    });
    boxes.forEach(mark);
    window.addEventListener("resize", function () { boxes.forEach(mark); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
