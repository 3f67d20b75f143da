// The workspace's keyboard and selection: one selected row at a time (the same one that has focus), its item in
// the detail pane, kept across the list's refresh and after every action; j/k skip closed items.
(function () {
  "use strict";
  let selected = null; // the data-id of the selected row; kept across refreshes and swaps
  let loading = null; // the data-id whose pane is on its way

  function rows() { return Array.from(document.querySelectorAll("#items li.row")); }
  function row(id) { return id && document.getElementById("row-" + id); }
  function paneItem() { return document.getElementById("pane-item"); }
  function narrow() { return window.matchMedia("(max-width: 860px)").matches; }

  // Draw the selection: exactly one row, the selected one, looks selected.
  function mark() {
    rows().forEach(function (r) { r.classList.toggle("selected", r.dataset.id === selected); });
  }

  function select(el, load) {
    if (!el) return;
    selected = el.dataset.id;
    mark();
    const link = el.querySelector("a.pick");
    if (link && document.activeElement !== link) link.focus({ preventScroll: true });
    el.scrollIntoView({ block: "nearest" });
    const pane = paneItem();
    if (load && window.htmx && (!pane || pane.dataset.id !== selected) && loading !== selected) {
      loading = selected;
      window.htmx.ajax("GET", link.dataset.pane, { target: "#detail", swap: "innerHTML" });
    }
  }

  function move(step) {
    const open = rows().filter(function (r) { return !r.classList.contains("closed") || r.dataset.id === selected; });
    if (!open.length) return;
    let at = open.indexOf(row(selected));
    let next = at < 0 ? open[0] : open[at + step];
    while (next && next.classList.contains("closed")) { at += step; next = open[at + step]; }
    if (next) select(next, true);
  }

  function typing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA");
  }

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && typing(e.target)) { e.target.blur(); return; }
    if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "/") {
      e.preventDefault();
      const box = document.querySelector("input[data-search]");
      if (box) { box.focus(); box.select(); } else { window.location.href = "/queue#search"; }
      return;
    }
    if (!document.getElementById("detail")) return;
    if (e.key === "j" && document.getElementById("items")) { move(1); return; }
    if (e.key === "k" && document.getElementById("items")) { move(-1); return; }
    const pane = paneItem();
    // Keys act on the item in the pane, and only when it is the selected one (or the item's own page).
    if (!pane || (document.getElementById("items") && pane.dataset.id !== selected)) return;
    const control = pane.querySelector('[data-key="' + e.key + '"]');
    if (!control) return;
    e.preventDefault();
    // A key pressed while a fresh pane is still settling must still go through htmx, not as a page-load post.
    if (window.htmx) window.htmx.process(pane);
    if (control.tagName === "INPUT" || control.tagName === "SELECT") { control.focus(); } else { control.click(); }
  });

  document.addEventListener("click", function (e) {
    const el = e.target.closest && e.target.closest("#items li.row");
    if (!el || !window.htmx || e.ctrlKey || e.metaKey || e.shiftKey) return; // a new tab opens the item's page
    e.preventDefault();
    select(el, true);
    if (narrow()) document.getElementById("detail").scrollIntoView({ block: "start" });
  });

  // Focus and selection are one: tabbing to a row selects it.
  document.addEventListener("focusin", function (e) {
    const el = e.target.closest && e.target.closest("#items li.row");
    if (el && el.dataset.id !== selected) select(el, true);
  });

  // The refresh replaces the list, and an action swaps the item's row: draw the selection again each time.
  document.addEventListener("htmx:afterSettle", mark);
  document.addEventListener("htmx:oobAfterSwap", mark);
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "detail") {
      const pane = paneItem();
      loading = null;
      if (pane) { selected = pane.dataset.id; }
      // After an action the focus was on a button or field that is gone: give it back to the selected row.
      const r = row(selected);
      const link = r && r.querySelector("a.pick");
      if (link && (!document.activeElement || document.activeElement === document.body)) {
        link.focus({ preventScroll: true });
      }
    }
    mark();
  });

  document.addEventListener("DOMContentLoaded", function () {
    // On a phone the filters beyond search and status fold away, unless one of them is in use.
    const more = document.getElementById("more-filters");
    const toggle = document.querySelector(".more-toggle");
    function fold(folded) {
      more.classList.toggle("folded", folded);
      toggle.setAttribute("aria-expanded", String(!folded));
    }
    if (more && toggle) {
      toggle.addEventListener("click", function () { fold(!more.classList.contains("folded")); });
      if (narrow() && !Array.from(more.querySelectorAll("input, select")).some(function (f) { return f.value; })) {
        fold(true);
      }
    }
    const pane = paneItem();
    if (pane && document.getElementById("items")) { selected = pane.dataset.id; mark(); }
    if (window.location.hash === "#search") {
      const box = document.querySelector("input[data-search]");
      if (box) box.focus();
    }
  });
})();
