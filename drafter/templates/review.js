/* review.html's one script, allowed by its sha256 in the page's CSP. It reads the page's data
   block with JSON.parse and writes every value with textContent: source text is never parsed
   as HTML, and only http(s) URLs ever become links. */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("facts").textContent);
  var FACT_FIELDS = ["id", "value", "label", "qualifier", "source", "field", "request", "formula"];
  var ANCHOR_FIELDS = ["reason", "text", "kind", "section"];
  var selected = null;

  function cell(name) {
    return document.getElementById("d-" + name);
  }

  function put(name, value) {
    var empty = value === null || value === undefined || value === "";
    cell(name).textContent = empty ? "\u2014" : String(value);
  }

  function webUrl(text) {
    if (typeof text !== "string" || !/^https?:\/\//i.test(text)) {
      return null;
    }
    var url;
    try {
      url = new URL(text);
    } catch (error) {
      return null;
    }
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  }

  function putUrl(fact) {
    var holder = cell("url");
    holder.textContent = "";
    if (!fact || !fact.source_url) {
      holder.textContent = "\u2014";
      return;
    }
    var shown = document.createElement("span");
    shown.className = "mono";
    shown.textContent = fact.source_url;
    holder.appendChild(shown);
    var href = webUrl(fact.link);
    if (href) {
      var link = document.createElement("a");
      link.href = href;
      link.rel = "noopener noreferrer";
      link.target = "_blank";
      link.textContent = "open the source page";
      holder.appendChild(document.createElement("br"));
      holder.appendChild(link);
    }
  }

  function showFact(factId) {
    var fact = factId && Object.prototype.hasOwnProperty.call(data.facts, factId)
      ? data.facts[factId]
      : null;
    document.getElementById("d-nofact").hidden = Boolean(factId);
    document.getElementById("d-fact").hidden = !factId;
    FACT_FIELDS.forEach(function (name) {
      put(name, fact ? fact[name] : null);
    });
    if (!fact && factId) {
      put("id", factId + " (not among the report's facts)");
    }
    put("derived", fact && fact.derived_from.length ? fact.derived_from.join(", ") : null);
    putUrl(fact);
    document.getElementById("d-empty").hidden = true;
    document.getElementById("d-fields").hidden = false;
  }

  function showStatus(anchor) {
    var status = cell("status");
    status.textContent = anchor ? anchor.status_label : "\u2014";
    status.className = "detail-status";
    if (anchor && data.statuses.indexOf(anchor.status) >= 0) {
      status.classList.add("mark", "s-" + anchor.status);
    }
  }

  function select(element) {
    if (selected) {
      selected.removeAttribute("aria-current");
    }
    selected = element.classList.contains("anchor") ? element : null;
    var anchor = selected ? data.anchors[selected.id] : null;
    if (selected) {
      selected.setAttribute("aria-current", "true");
    }
    document.getElementById("d-anchor").hidden = !anchor;
    showStatus(anchor);
    ANCHOR_FIELDS.forEach(function (name) {
      put(name, anchor ? anchor[name] : null);
    });
    put("cited", anchor ? (anchor.cited ? "yes" : "no") : null);
    showFact(anchor ? anchor.fact : element.getAttribute("data-fact"));
  }

  function goTo(id) {
    var element = document.getElementById(id);
    if (!element || !element.classList.contains("anchor")) {
      return;
    }
    element.scrollIntoView({ block: "center" });
    element.focus({ preventScroll: true });
    select(element);
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    var chosen = target.closest(".anchor, .fact-ref");
    if (chosen) {
      select(chosen);
      return;
    }
    var jump = target.closest("a.jump");
    if (jump) {
      event.preventDefault();
      goTo(jump.getAttribute("href").slice(1));
    }
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!(target instanceof Element) || !target.classList.contains("anchor")) {
      return;
    }
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      select(target);
    }
  });

  if (location.hash.length > 1) {
    try {
      goTo(decodeURIComponent(location.hash.slice(1)));
    } catch (error) {
      // a malformed fragment names no anchor: the page opens at its top
    }
  }
})();
