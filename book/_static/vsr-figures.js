/* vsr-analysis: figures readable on a phone. A figure is an SVG whose own size is the smallest at which its
   smallest text is 11 CSS px (vsr_analysis.stats.figure_style.write_svg). It is shown at the column's width but
   never narrower than that: on a narrow phone it scrolls sideways in its own box, with a visible cue, instead of
   shrinking its text. */
(function () {
  "use strict";
  var scroll = window.vsrScroll;  // vsr-scroll.js, loaded first
  function wrap(img) { return scroll.wrap(img, "figure-scroll"); }
  function mark(box) { scroll.mark(box, "figure"); }
  function fit(img) {
    var box = wrap(img);
    function size() {
      if (img.naturalWidth > 0) img.style.minWidth = img.naturalWidth + "px";
      mark(box);
    }
    if (img.complete) size();
    else img.addEventListener("load", size);
    window.addEventListener("resize", function () { mark(box); });
  }
  function run() {
    document.querySelectorAll(".bd-article figure img").forEach(function (img) {
      if (/\.svg(\?|#|$)/.test(img.getAttribute("src") || "")) fit(img);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
