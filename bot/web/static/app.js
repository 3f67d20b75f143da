// The queue page's keyboard shortcuts, and keeping the auto-refresh from wiping what an agent is typing.
(function () {
  "use strict";
  let selected = null; // the data-id of the selected item; kept across refreshes

  function items() { return Array.from(document.querySelectorAll("#items article.item")); }
  function current() { return selected && document.getElementById("item-" + selected); }

  function select(el) {
    items().forEach(function (a) { a.classList.remove("selected"); });
    if (!el) { selected = null; return; }
    selected = el.dataset.id;
    el.classList.add("selected");
    el.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    const all = items();
    if (!all.length) return;
    const at = all.indexOf(current());
    select(all[Math.min(Math.max(at + step, 0), all.length - 1)] || all[0]);
  }

  function typing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA");
  }

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && typing(e.target)) { e.target.blur(); return; }
    if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "/") { e.preventDefault(); window.location.href = "/search"; return; }
    if (!document.getElementById("items")) return;
    if (e.key === "j") { move(1); return; }
    if (e.key === "k") { move(-1); return; }
    const item = current();
    if (!item) return;
    const control = item.querySelector('[data-key="' + e.key + '"]');
    if (!control) return;
    e.preventDefault();
    if (control.tagName === "INPUT" || control.tagName === "SELECT") { control.focus(); } else { control.click(); }
  });

  document.addEventListener("click", function (e) {
    const item = e.target.closest && e.target.closest("#items article.item");
    if (item) select(item);
  });

  // The refresh replaces the list: skip it while a field in the list is being filled in.
  document.addEventListener("htmx:beforeRequest", function (e) {
    const list = document.getElementById("items");
    if (e.detail.elt === list && list.contains(document.activeElement) && typing(document.activeElement)) {
      e.preventDefault();
    }
  });

  document.addEventListener("htmx:afterSwap", function () {
    const el = current();
    if (el) el.classList.add("selected");
  });
})();
