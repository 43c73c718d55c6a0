/* Minimal Discourse-style post stream: fetch the posts after page load and
   render them into #post-stream. */
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function formatDate(iso) {
    var d = new Date(iso);
    return d.toLocaleDateString("en-US", { month: "short", day: "numeric", year: "numeric" });
  }

  function renderPost(post, isFirst) {
    var article = el("article", {
      id: "post_" + post.post_number,
      "class": "topic-post boxed onscreen-post",
      "data-post-id": String(post.id),
      "data-post-number": String(post.post_number)
    });
    if (!isFirst) {
      article.setAttribute("itemprop", "comment");
      article.setAttribute("itemscope", "");
      article.setAttribute("itemtype", "http://schema.org/Comment");
    }
    var author = el("span", { "class": "creator", itemprop: "author", itemscope: "", itemtype: "http://schema.org/Person" }, [
      el("span", { "class": "username", itemprop: "name" }, [post.username])
    ]);
    var meta = el("div", { "class": "topic-meta-data" }, [
      el("div", { "class": "names trigger-user-card" }, [author, " ", el("span", { "class": "full-name" }, [post.name])]),
      el("div", { "class": "post-infos" }, [
        el("time", { itemprop: "datePublished", datetime: post.created_at }, [formatDate(post.created_at)]),
        el("meta", { itemprop: "position", content: String(post.post_number) })
      ])
    ]);
    var cooked = el("div", { "class": "cooked", itemprop: isFirst ? "articleBody" : "text" });
    cooked.innerHTML = post.cooked;
    var body = el("div", { "class": "topic-body clearfix" }, [meta, el("div", { "class": "regular contents" }, [cooked])]);
    var avatar = el("div", { "class": "topic-avatar" }, [
      el("span", { "class": "avatar-letter", "aria-hidden": "true" }, [post.username.charAt(0).toUpperCase()])
    ]);
    article.appendChild(el("div", { "class": "row" }, [avatar, body]));
    return article;
  }

  function load() {
    var area = document.getElementById("topic");
    var stream = document.getElementById("post-stream");
    var loading = document.getElementById("posts-loading");
    var topicId = area.getAttribute("data-topic-id");
    fetch("/api/t/" + topicId + "/posts.json", { headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (topic) {
        var wrapper = el("div", { itemscope: "", itemtype: "http://schema.org/DiscussionForumPosting" }, [
          el("meta", { itemprop: "headline", content: topic.title }),
          el("link", { itemprop: "url", href: location.origin + "/t/" + topic.slug + "/" + topic.id })
        ]);
        topic.post_stream.posts.forEach(function (post, i) {
          wrapper.appendChild(renderPost(post, i === 0));
        });
        stream.appendChild(wrapper);
        if (loading) { loading.parentNode.removeChild(loading); }
        stream.setAttribute("data-loaded", "true");
      })
      .catch(function (err) {
        if (loading) { loading.textContent = "Sorry, the posts could not be loaded (" + err.message + ")."; }
      });
  }

  window.addEventListener("load", load);
})();
