/* vsr-analysis: what the wide tables (vsr-tables.js) and the wide figures (vsr-figures.js) share: an element put
   in a horizontally scrolling box of its own, and a visible cue ("scroll sideways") before a box whose content
   is wider than the box (class is-wide; the CSS gives a wide table a sticky first column). */
window.vsrScroll = (function () {
  "use strict";
  function wrap(el, boxClass) {
    var parent = el.parentElement;
    if (parent && parent.classList.contains(boxClass)) return parent;
    var box = document.createElement("div");
    box.className = boxClass;
    el.parentNode.insertBefore(box, el);
    box.appendChild(el);
    return box;
  }
  function mark(box, what) {
    var wide = box.scrollWidth > box.clientWidth + 1;
    box.classList.toggle("is-wide", wide);
    var cue = box.previousElementSibling;
    var hasCue = cue && cue.classList.contains("scroll-cue");
    if (wide && !hasCue) {
      cue = document.createElement("span");
      cue.className = "scroll-cue";
      cue.textContent = "The " + what + " is wider than the page: scroll it sideways.";
      box.parentNode.insertBefore(cue, box);
    } else if (!wide && hasCue) {
      cue.remove();
    }
  }
  return { wrap: wrap, mark: mark };
})();
