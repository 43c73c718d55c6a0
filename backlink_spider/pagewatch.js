// Installed in every frame of a rendered page before the page's own scripts (a context init script,
// see backlink_spider/browser.py): it keeps account of the work the page still has in flight, so
// that snapshot.js can wait for exactly that instead of for fixed pauses:
// - fetch() and XMLHttpRequest calls not finished yet (with their start times), and scripts with
//   a src that have not loaded yet;
// - timers (setTimeout) due within WATCH_TIMER_MS, except those a timer chain schedules past its
//   second link: a polling loop would otherwise keep the page busy until the budget is spent.
// `window.__blWatch.lastActivity` is when the last of them ended (a callback ran, a request ended);
// `lastChange` is when the DOM last changed (style-only attribute changes, animations, left out).
(() => {
  if (window.__blWatch) return;
  const WATCH_TIMER_MS = 3000;
  const MAX_CHAIN = 2;
  const now = () => performance.now();
  // `sleep`: the page's own setTimeout, for snapshot.js's pauses (which must not count as the page's)
  const watch = {fetches: new Map(), timers: new Map(), lastActivity: now(), lastChange: now(), sleep: null};
  Object.defineProperty(window, "__blWatch", {value: watch, enumerable: false});
  let seq = 0;
  let chain = 0; // how deep in a chain of timers the running callback is
  const track = () => {
    const id = ++seq;
    watch.fetches.set(id, now());
    return () => { watch.fetches.delete(id); watch.lastActivity = now(); };
  };
  const pageFetch = window.fetch;
  if (typeof pageFetch === "function") {
    window.fetch = function (...args) {
      const done = track();
      try { return pageFetch.apply(this, args).finally(done); } catch (e) { done(); throw e; }
    };
  }
  const pageSend = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    const done = track();
    this.addEventListener("loadend", done, {once: true});
    try { return pageSend.apply(this, args); } catch (e) { done(); throw e; }
  };
  // scripts the page adds with a src (a widget's loader, a comments embed): until they load or fail
  // (not nomodule or data types, which are never fetched)
  const JS_TYPES = new Set(["", "text/javascript", "application/javascript", "module"]);
  const seen = new WeakSet();
  const watchScript = (el) => {
    if (seen.has(el) || !el.src || el.noModule || !JS_TYPES.has((el.type || "").trim().toLowerCase())) return;
    seen.add(el);
    const done = track();
    el.addEventListener("load", done, {once: true});
    el.addEventListener("error", done, {once: true});
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type !== "attributes" || record.attributeName !== "style") watch.lastChange = now();
      for (const node of record.addedNodes) {
        if (node.nodeType !== 1) continue;
        if (node.tagName === "SCRIPT") watchScript(node);
        else if (node.getElementsByTagName) for (const el of node.getElementsByTagName("script")) watchScript(el);
      }
    }
  }).observe(document, {childList: true, subtree: true, characterData: true, attributes: true});
  const pageSetTimeout = window.setTimeout;
  const pageClearTimeout = window.clearTimeout;
  watch.sleep = (ms) => new Promise((resolve) => pageSetTimeout.call(window, resolve, ms));
  window.setTimeout = function (callback, delay, ...args) {
    if (typeof callback !== "function") return pageSetTimeout.call(this, callback, delay, ...args);
    const wait = Math.max(0, Number(delay) || 0);
    const depth = chain + 1;
    let id;
    const run = function (...callArgs) {
      watch.timers.delete(id);
      const outer = chain;
      chain = depth;
      try { return callback.apply(this, callArgs); } finally {
        chain = outer;
        watch.lastActivity = now();
      }
    };
    id = pageSetTimeout.call(this, run, delay, ...args);
    if (wait <= WATCH_TIMER_MS && depth <= MAX_CHAIN) watch.timers.set(id, now() + wait);
    return id;
  };
  window.clearTimeout = function (id) {
    watch.timers.delete(id);
    return pageClearTimeout.call(this, id);
  };
})();
