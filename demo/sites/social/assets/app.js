/* Brew.Social web client (tiny). Renders a profile into #app, either from the
   inline #initial-state JSON or from /api/profiles/<name>.json. */
(function () {
  "use strict";

  // <brew-badge>: a profile badge rendered in an open shadow root.
  class BrewBadge extends HTMLElement {
    set badge(value) { this._badge = value; this.render(); }
    get badge() { return this._badge; }
    connectedCallback() { this.render(); }
    render() {
      if (!this._badge || !this.isConnected) { return; }
      var root = this.shadowRoot || this.attachShadow({ mode: "open" });
      var b = this._badge;
      root.innerHTML = "";
      var style = document.createElement("style");
      style.textContent = ":host{display:inline-flex;gap:.5em;align-items:center;border:1px solid #c8a46e;" +
        "border-radius:999px;padding:.2em .8em;background:#fff8ee;font-size:.9em}" +
        ".title{font-weight:600}a{color:#8a5a1c}";
      var title = document.createElement("span");
      title.className = "title";
      title.textContent = b.title;
      var since = document.createElement("span");
      since.className = "since";
      since.textContent = "since " + b.since;
      root.appendChild(style);
      root.appendChild(title);
      root.appendChild(since);
      if (b.link) {
        var a = document.createElement("a");
        a.href = b.link.href;
        a.textContent = b.link.text;
        a.target = "_blank";
        root.appendChild(a);
      }
    }
  }
  customElements.define("brew-badge", BrewBadge);

  function h(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) { n.className = cls; }
    if (text != null) { n.textContent = text; }
    return n;
  }

  function shareLinks() {
    var u = encodeURIComponent(location.href);
    var box = h("div", "share-links");
    var tw = h("a", "share share-twitter", "Share on X");
    tw.href = "https://twitter.com/intent/tweet?url=" + u;
    var fb = h("a", "share share-facebook", "Share on Facebook");
    fb.href = "https://www.facebook.com/sharer/sharer.php?u=" + u;
    [tw, fb].forEach(function (a) { a.target = "_blank"; a.rel = "noopener noreferrer"; box.appendChild(a); });
    return box;
  }

  function navigation() {
    var header = h("header", "ui__header");
    var logo = h("a", "logo", "Brew.Social");
    logo.href = "/";
    var nav = h("nav", "ui__header__links");
    nav.setAttribute("aria-label", "Main");
    [["/", "Home"], ["/about", "About"]].forEach(function (l) {
      var a = h("a", "button", l[1]); a.href = l[0]; nav.appendChild(a);
    });
    header.appendChild(logo);
    header.appendChild(nav);
    return header;
  }

  function footer() {
    var f = h("footer", "link-footer");
    var p = h("p");
    [["/about", "About"], ["/terms", "Terms of service"], ["/privacy-policy", "Privacy policy"],
     ["https://joinmastodon.org/", "Powered by Mastodon"],
     ["https://github.com/mastodon/mastodon", "View source code"]].forEach(function (l, i) {
      if (i) { p.appendChild(document.createTextNode(" \u00b7 ")); }
      var a = h("a", null, l[1]); a.href = l[0]; p.appendChild(a);
    });
    f.appendChild(p);
    return f;
  }

  function fmt(n) { return n >= 1000 ? (n / 1000).toFixed(n >= 10000 ? 0 : 1) + "K" : String(n); }

  function renderProfile(app, acct) {
    app.innerHTML = "";
    app.appendChild(navigation());
    var main = h("main", "columns-area");
    var account = h("div", "account");
    account.setAttribute("data-account-id", acct.id);
    var head = h("div", "account__header");
    var avatar = h("div", "account__avatar", acct.display_name.charAt(0));
    var names = h("h1", "account__header__tabs__name");
    names.appendChild(h("span", "display-name__html", acct.display_name));
    names.appendChild(h("small", "display-name__account", "@" + acct.acct));
    head.appendChild(avatar);
    head.appendChild(names);

    var bio = h("div", "account__header__content translate");
    bio.innerHTML = acct.note;
    head.appendChild(bio);

    if (acct.badges && acct.badges.length) {
      var badges = h("div", "account__header__badges");
      acct.badges.forEach(function (b) {
        var el = document.createElement("brew-badge");
        el.badge = b;
        badges.appendChild(el);
      });
      head.appendChild(badges);
    }

    var fields = h("dl", "account__header__fields");
    acct.fields.forEach(function (f) {
      var row = h("div", f.verified_at ? "verified" : "");
      row.appendChild(h("dt", null, f.name));
      var dd = h("dd");
      dd.innerHTML = f.value;
      row.appendChild(dd);
      fields.appendChild(row);
    });
    head.appendChild(fields);

    var counts = h("div", "account__header__extra__links");
    counts.appendChild(h("span", null, fmt(acct.statuses_count) + " Posts"));
    counts.appendChild(h("span", null, fmt(acct.following_count) + " Following"));
    counts.appendChild(h("span", null, fmt(acct.followers_count) + " Followers"));
    head.appendChild(counts);
    account.appendChild(head);

    var feed = h("div", "item-list");
    feed.setAttribute("role", "feed");
    acct.statuses.forEach(function (s) {
      var art = h("article", "status");
      art.setAttribute("data-id", s.id);
      var t = h("time", null, new Date(s.created_at).toLocaleDateString("en-US", { month: "short", day: "numeric", year: "numeric" }));
      t.setAttribute("datetime", s.created_at);
      var content = h("div", "status__content");
      content.innerHTML = s.content;
      art.appendChild(t);
      art.appendChild(content);
      feed.appendChild(art);
    });
    account.appendChild(feed);
    account.appendChild(shareLinks());
    main.appendChild(account);
    app.appendChild(main);
    app.appendChild(footer());
    app.setAttribute("data-rendered", "true");
  }

  function start() {
    var app = document.getElementById("app");
    if (!app) { return; }
    var name = app.getAttribute("data-profile");
    var inline = document.getElementById("initial-state");
    if (inline) {
      renderProfile(app, JSON.parse(inline.textContent));
      return;
    }
    fetch("/api/profiles/" + encodeURIComponent(name) + ".json", { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (acct) { renderProfile(app, acct); })
      .catch(function (e) { app.textContent = "Could not load this profile (" + e.message + ")."; });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
