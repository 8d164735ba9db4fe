/* vsr-analysis: wide tables on a phone. Every table of the article is put in a horizontally scrolling box; a
   table wider than its box gets a visible cue ("scroll sideways") and a sticky first column (CSS: .is-wide). */
(function () {
  "use strict";
  var scroll = window.vsrScroll;  // vsr-scroll.js, loaded first
  function wrap(table) { return scroll.wrap(table, "table-scroll"); }
  function mark(box) { scroll.mark(box, "table"); }
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
