/* vsr-analysis: figures readable on a phone. A figure is an SVG whose own size is the smallest at which its
   smallest text is 11 CSS px (vsr_analysis.stats.figure_style.write_svg). It is shown at the column's width but
   never narrower than that: on a narrow phone it scrolls sideways in its own box, with a visible cue, instead of
   shrinking its text. */
(function () {
  "use strict";
  function wrap(img) {
    var parent = img.parentElement;
    if (parent && parent.classList.contains("figure-scroll")) return parent;
    var box = document.createElement("div");
    box.className = "figure-scroll";
    img.parentNode.insertBefore(box, img);
    box.appendChild(img);
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
      cue.textContent = "The figure is wider than the page: scroll it sideways.";
      box.parentNode.insertBefore(cue, box);
    } else if (!wide && hasCue) {
      cue.remove();
    }
  }
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
