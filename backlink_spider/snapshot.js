// The page script of backlink_spider/render.py (evaluated by Playwright with `opts`, see
// RenderOptions.page_methods): lets the page settle, scrolls and clicks "load more" controls within
// bounds, then serialises the DOM with open shadow roots (<bl-shadow-root>), same-origin iframes
// (<bl-iframe>) and computed visibility (data-bl-hidden="1" where an element becomes hidden, "0"
// where it becomes visible again).
async (opts) => {
  // a page without the page watch first waits for its network to go quiet (render.py)
  if (opts.requireWatch && !window.__blWatch) return {noWatch: true};
  // a monotonic clock: a page that sets or fakes Date does not bend the budget
  const now = () => performance.now();
  // (pagewatch.js's sleep when it is there: its own setTimeout counts the page's timers)
  const sleep = (window.__blWatch && window.__blWatch.sleep) || ((ms) => new Promise((r) => setTimeout(r, ms)));
  const started = now();
  const remaining = () => opts.budgetMs - (now() - started);
  const inBudget = () => remaining() > 0;
  const root = () => document.scrollingElement || document.documentElement;
  const allElements = document.getElementsByTagName("*"); // live: .length is the node count now
  // style-only changes are animations, not content (as pagewatch.js counts them)
  const isContentChange = (r) => r.type !== "attributes" || r.attributeName !== "style";

  // --- settling: no DOM change for opts.quietMs and none of the page's own data requests
  // (fetch, XHR) started since the last action still open; at most opts.settleTimeoutMs a wait.
  // With pagewatch.js (installed before the page's scripts) the requests of the page's load and
  // its short timers count too, so nothing waits for the network to idle by the clock.
  // With the page watch, the quiet period counts from the page's last DOM change since its document
  // began (a page quiet since it loaded needs no further wait); without it, from now on.
  let watch = window.__blWatch;
  let restore = () => {};
  let observer = null;
  if (!watch) { // no init script (an older context): watch the DOM and the requests from now on
    watch = {fetches: new Map(), timers: new Map(), lastActivity: now(), lastChange: now()};
    observer = new MutationObserver((records) => {
      if (records.some(isContentChange)) watch.lastChange = now();
    });
    observer.observe(document, {childList: true, subtree: true, characterData: true, attributes: true});
    let requestSeq = 0;
    const track = () => {
      const id = ++requestSeq;
      watch.fetches.set(id, now());
      return () => { watch.fetches.delete(id); watch.lastActivity = now(); };
    };
    const pageFetch = window.fetch;
    const pageSend = XMLHttpRequest.prototype.send;
    if (typeof pageFetch === "function") {
      window.fetch = function (...args) {
        const done = track();
        try { return pageFetch.apply(this, args).finally(done); } catch (e) { done(); throw e; }
      };
    }
    const ourSend = function (...args) {
      const done = track();
      this.addEventListener("loadend", done, {once: true});
      try { return pageSend.apply(this, args); } catch (e) { done(); throw e; }
    };
    XMLHttpRequest.prototype.send = ourSend;
    const ourFetch = window.fetch;
    // the page keeps running until it is closed: give it back its own fetch and XHR
    restore = () => {
      if (window.fetch === ourFetch) window.fetch = pageFetch;
      if (XMLHttpRequest.prototype.send === ourSend) XMLHttpRequest.prototype.send = pageSend;
    };
  }
  // `since`: requests started before it do not hold the page (a long poll would hold it forever);
  // the first settle passes 0: every request of the page's load counts.
  const settle = async (since) => {
    const deadline = now() + Math.max(0, Math.min(opts.settleTimeoutMs, remaining()));
    while (now() < deadline) {
      const busy = Array.from(watch.fetches.values()).some((t) => t >= since)
        || Array.from(watch.timers.values()).some((due) => due <= deadline);
      if (!busy && now() - Math.max(watch.lastChange, since, watch.lastActivity) >= opts.quietMs) return;
      await sleep(Math.min(50, opts.quietMs || 50));
    }
  };
  // did an action add anything: the document grew, or holds more elements
  const mark = () => ({height: root().scrollHeight, nodes: allElements.length, since: now()});
  const grew = (before) => root().scrollHeight > before.height || allElements.length > before.nodes;

  // phase times (ms), for bench/breakdown.py: not used by the crawl
  const timings = {settleMs: 0, scrollMs: 0, clicksMs: 0, serialiseMs: 0, scrolls: 0};
  let phase = now();
  await settle(0);
  timings.settleMs = now() - phase;
  phase = now();

  // --- scrolling: to the bottom, where infinite lists and lazy comment sections load, until a
  // scroll adds nothing
  let scrolls = 0;
  while (scrolls < opts.scrollSteps && inBudget()) {
    const before = mark();
    window.scrollTo(0, root().scrollHeight);
    scrolls++;
    await settle(before.since);
    if (!grew(before)) break;
  }
  timings.scrollMs = now() - phase;
  timings.scrolls = scrolls;
  phase = now();

  // --- "load more": controls named so (several languages) or matched by opts.clickSelectors, that
  // run a script in place. Never a link that navigates, a form's submit button, or a control
  // whose text or attributes speak of buying, subscribing, logging in, sending or deleting.
  const norm = (s) => (s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[\u2019`]/g, "'").replace(/\s+/g, " ").trim();
  const LOAD_MORE = new RegExp([
    // en
    "\\b(load|show|view|see|read|display)( \\d+)? (more|all|older|earlier|previous|other)\\b",
    "\\b(\\d+ )?(more|older|earlier|previous|hidden) (comments|replies|answers|responses|posts|results|reviews|messages|items|stories)\\b",
    "\\b(load|show|view|see|display)( all| the| \\d+)? (comments|replies|answers|responses|reviews)\\b",
    // de
    "\\b(mehr|weitere|altere|alle)( \\w+)? (laden|anzeigen|zeigen|ansehen)\\b",
    "\\b(mehr|weitere|altere) (kommentare|antworten|beitrage|ergebnisse)\\b",
    "\\b(kommentare|antworten) (laden|anzeigen|zeigen)\\b",
    // fr
    "\\b(charger|afficher|voir|montrer) (plus|la suite|davantage|d'autres|les autres|tous|toutes)\\b",
    "\\bplus de (commentaires|reponses|resultats|messages|articles)\\b",
    "\\b(charger|afficher|voir) (les |tous les |\\d+ )?(commentaires|reponses)\\b",
    // es
    "\\b(cargar|mostrar|ver) mas\\b",
    "\\bmas (comentarios|respuestas|resultados)\\b",
    "\\b(cargar|mostrar|ver) (los |las |todos los |todas las |\\d+ )?(comentarios|respuestas)\\b",
    // it
    "\\b(carica|caricare|mostra|visualizza|vedi|leggi) (altro|altri|altre|di piu|tutto|tutti)\\b",
    "\\b(altri|piu) (commenti|risultati)\\b", "\\baltre risposte\\b",
    "\\b(carica|mostra|visualizza|vedi) (i |le |tutti i |tutte le |\\d+ )?(commenti|risposte)\\b",
    // pt
    "\\b(carregar|mostrar|ver|exibir) mais\\b",
    "\\bmais (comentarios|respostas|resultados)\\b",
    "\\b(carregar|mostrar|ver|exibir) (os |as |todos os |todas as |\\d+ )?(comentarios|respostas)\\b",
    // nl
    "\\b(laad|toon|bekijk|lees) (meer|alle)\\b", "\\bmeer (laden|tonen|weergeven|bekijken)\\b",
    "\\bmeer (reacties|antwoorden|resultaten)\\b",
    "\\b(laad|toon|bekijk) (alle |\\d+ )?(reacties|antwoorden)\\b",
  ].join("|"));
  const DENY = new RegExp("(?:^|[^a-z])(" + [
    // en
    "buy", "purchase", "order now", "add to (cart|basket|bag)", "cart", "checkout", "check out", "pay",
    "payment", "paypal", "donate", "subscribe", "subscription", "unsubscribe", "log ?in", "log ?on",
    "log ?out", "sign ?in", "sign ?up", "sign ?out", "register", "join now", "submit", "delete",
    "remove", "report", "upgrade",
    // de
    "kaufen", "bestellen", "warenkorb", "kasse", "bezahlen", "zahlen", "spenden", "abonnieren", "abo",
    "anmelden", "einloggen", "abmelden", "registrieren", "absenden", "loschen", "entfernen", "melden",
    // fr
    "acheter", "achat", "commander", "panier", "payer", "paiement", "abonner", "abonnement",
    "connexion", "se connecter", "deconnexion", "inscrire", "inscription", "envoyer", "soumettre",
    "valider", "supprimer", "signaler",
    // es
    "comprar", "compra", "carrito", "pagar", "pago", "suscribir(se)?", "suscribete", "suscripcion",
    "iniciar sesion", "acceder", "entrar", "registrar(se)?", "registrate", "enviar", "eliminar",
    "borrar", "denunciar",
    // it
    "acquista", "acquistare", "carrello", "cassa", "paga", "pagamento", "abbonati", "abbonamento",
    "iscriviti", "accedi", "registrati", "invia", "elimina", "cancella", "segnala",
    // pt
    "assinar", "assine", "assinatura", "inscrever", "inscreva", "cadastrar", "cadastre", "iniciar sessao",
    "excluir", "apagar", "pagamento", "finalizar compra",
    // nl
    "kopen", "koop", "winkelwagen", "afrekenen", "betalen", "doneren", "abonneren", "inloggen",
    "aanmelden", "registreren", "verzenden", "versturen", "verwijderen",
  ].join("|") + ")(?:$|[^a-z])");
  // attribute names and values as words: "btnSubscribe", "js-buy_now" -> "btn subscribe", "js buy now"
  const attrWords = (el) => norm(Array.from(el.attributes).filter((a) => a.name !== "style")
    .map((a) => a.name + " " + a.value).join(" ").replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/[-_.:/#=()[\]{};,"]+/g, " "));
  const INERT_HREF = /^(#?|javascript:.*)$/i;
  const clickable = (el, bySelector) => {
    if (el.disabled || el.getAttribute("aria-disabled") === "true") return false;
    if (el.getAttribute("aria-expanded") === "true") return false; // already open: a click closes it
    const link = el.closest("a[href], area[href]");
    if (link && (!INERT_HREF.test(link.getAttribute("href").trim()) ||
                 !["", "_self"].includes(link.getAttribute("target") || ""))) return false;
    const control = el.closest("button, input");
    if (control && control.form && ["submit", "image", "reset"].includes(control.type)) return false;
    if (el.tagName === "INPUT" && !["button", "submit", "image", "reset"].includes(el.type)) return false;
    if ((el.textContent || "").length > 200 || el.getClientRects().length === 0) return false;
    const names = [norm(el.innerText || el.value), norm(el.getAttribute("aria-label")),
                   norm(el.getAttribute("title"))];
    if (!bySelector && !names.some((n) => n.length <= 80 && LOAD_MORE.test(n))) return false;
    return !DENY.test(names.join(" ") + " " + attrWords(el));
  };
  const candidates = () => {
    const found = new Set();
    for (const selector of opts.clickSelectors) {
      let matched = [];
      try { matched = document.querySelectorAll(selector); } catch (e) { continue; } // bad selector
      for (const el of matched) if (!found.has(el) && clickable(el, true)) found.add(el);
    }
    for (const el of document.querySelectorAll("button, input[type=button], [role=button], a")) {
      if (!found.has(el) && clickable(el, false)) found.add(el);
    }
    return Array.from(found);
  };
  // a control is clicked again (a "load more" that stays) only while its clicks add something
  const productive = new Map();
  let clicks = 0;
  while (clicks < opts.maxClicks && inBudget()) {
    const found = candidates();
    const button = found.find((b) => !productive.has(b)) || found.find((b) => productive.get(b));
    if (!button) break;
    const before = mark();
    button.click();
    clicks++;
    await settle(before.since);
    productive.set(button, grew(before));
  }
  timings.clicksMs = now() - phase;
  phase = now();
  window.scrollTo(0, 0);
  if (observer) observer.disconnect();
  restore();

  const VOID = new Set(["AREA", "BASE", "BR", "COL", "EMBED", "HR", "IMG", "INPUT", "LINK", "META",
                        "SOURCE", "TRACK", "WBR"]);
  const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const escAttr = (s) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
  const out = [];
  let size = 0, truncated = false;
  const push = (s) => { size += s.length; out.push(s); if (size > opts.maxChars) truncated = true; };
  const state = (el, parentHidden, gone) => {
    // returns [hidden, gone]: `gone` = nothing below can be visible (display:none, opacity 0)
    if (gone) return [true, true];
    const view = el.ownerDocument.defaultView;
    if (!view) return [parentHidden, false];
    const cs = view.getComputedStyle(el);
    if (cs.display === "none" || cs.opacity === "0") return [true, true];
    if (cs.visibility !== "visible") return [true, false];
    const tag = el.tagName;
    if (tag === "A" || cs.position !== "static" || parseFloat(cs.textIndent) < -999) {
      const r = el.getBoundingClientRect();
      const sx = view.scrollX, sy = view.scrollY;
      if (r.right + sx <= 0 || r.bottom + sy <= 0 || parseFloat(cs.textIndent) < -999) return [true, true];
      if (tag === "A" && (r.width === 0 || r.height === 0)) {
        const shown = Array.from(el.querySelectorAll("*")).some((c) => {
          const cr = c.getBoundingClientRect(); return cr.width > 0 && cr.height > 0; });
        if (!shown) return [true, true];
      }
    }
    return [false, false];
  };
  const serialiseChildren = (node, hidden, gone) => {
    for (const child of node.childNodes) serialise(child, hidden, gone);
  };
  const serialise = (node, parentHidden, gone) => {
    if (truncated) return;
    if (node.nodeType === Node.TEXT_NODE) { push(esc(node.data)); return; }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    const tag = node.tagName;
    if (tag === "STYLE" || tag === "NOSCRIPT" || tag === "TEMPLATE") return;
    if (tag === "SCRIPT") {
      if ((node.type || "").toLowerCase() === "application/ld+json") push(
        '<script type="application/ld+json">' + esc(node.textContent) + "</script>");
      return;
    }
    const [hidden, goneHere] = node.closest && node.closest("head") ? [false, false]
      : state(node, parentHidden, gone);
    const name = tag.toLowerCase();
    if (tag === "IFRAME") {
      let doc = null;
      try { doc = node.contentDocument; } catch (e) { doc = null; }
      if (doc && doc.body) {
        push('<bl-iframe src="' + escAttr(node.src || "") + '"' +
                 (hidden !== parentHidden ? ' data-bl-hidden="' + (hidden ? 1 : 0) + '"' : "") + ">");
        serialise(doc.body, hidden, goneHere);
        push("</bl-iframe>");
      }
      return;
    }
    push("<" + name);
    for (const attr of node.attributes) {
      if (attr.name === "data-bl-hidden" || attr.name === "data-bl-clicked") continue;
      let value = attr.value;
      const isLink = tag === "A" || tag === "AREA";
      if (isLink && attr.name === "href" && typeof node.href === "string") value = node.href;
      push(" " + attr.name + '="' + escAttr(value) + '"');
    }
    if (hidden !== parentHidden) push(' data-bl-hidden="' + (hidden ? 1 : 0) + '"');
    push(">");
    if (VOID.has(tag)) return;
    if (node.shadowRoot) {
      push("<bl-shadow-root>");
      serialiseChildren(node.shadowRoot, hidden, goneHere);
      push("</bl-shadow-root>");
    }
    serialiseChildren(node, hidden, goneHere);
    push("</" + name + ">");
  };
  serialise(document.documentElement, false, false);
  const result = {html: "<!DOCTYPE html>" + out.join("").slice(0, opts.maxChars), url: location.href,
                  clicks: clicks, truncated: truncated, timings: timings};
  timings.serialiseMs = now() - phase;
  // The page's own copy is no longer needed: emptied, the DOM costs nothing to hand over again
  // (the download handler still reads page.content() after the page methods).
  if (document.contentType === "text/html") document.documentElement.replaceChildren();
  return result;
}
