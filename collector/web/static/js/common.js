/* Shared by every page: the server's config and strings, JSON fetching, names and times.
   Plain browser JavaScript, no framework and no build step. */
(function () {
  "use strict";

  var config = JSON.parse(document.body.getAttribute("data-config"));
  var TOKEN_KEY = "cf_token";
  var S = config.strings || {};
  var LOCALE = config.lang === "en" ? "en-GB" : "th-TH";

  /** The string `key` with {name} placeholders filled from `params`. */
  function t(key, params) {
    var text = Object.prototype.hasOwnProperty.call(S, key) ? S[key] : key;
    if (params) {
      Object.keys(params).forEach(function (name) {
        text = text.split("{" + name + "}").join(String(params[name]));
      });
    }
    return text;
  }

  /** A new element with attributes (class, text, and any other attribute) and children. */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = String(value);
      else if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  /** The API token of this tab (sessionStorage: gone when the tab closes), or null. */
  function token() {
    try {
      return window.sessionStorage.getItem(TOKEN_KEY);
    } catch (ignored) {
      return null;
    }
  }

  function setToken(value) {
    try {
      if (value) window.sessionStorage.setItem(TOKEN_KEY, value);
      else window.sessionStorage.removeItem(TOKEN_KEY);
    } catch (ignored) {
      /* no storage: the token lasts until the page is left */
    }
  }

  /** A link such as /fleet#token=cf_... stores its token and drops it from the address bar
      (a fragment never reaches the server, and no-referrer keeps it out of other sites' logs). */
  function takeTokenFromLink() {
    var match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
    if (!match) return;
    setToken(decodeURIComponent(match[1]));
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }

  /** GET a JSON resource of the API, with the tab's token when there is one; rejects with an
      Error carrying `.status`. A refused token (401) is forgotten. */
  function getJSON(path) {
    var headers = { Accept: "application/json" };
    var current = token();
    if (current) headers.Authorization = "Bearer " + current;
    return fetch(config.api + path, {
      headers: headers,
      credentials: "same-origin",
      cache: "no-store",
    }).then(function (response) {
      if (!response.ok) {
        if (response.status === 401 && current) setToken(null);
        var error = new Error("HTTP " + response.status);
        error.status = response.status;
        throw error;
      }
      return response.json();
    });
  }

  /** A list from an API answer that is either a bare array or an object holding one. */
  function listOf(answer, keys) {
    if (Array.isArray(answer)) return answer;
    for (var i = 0; answer && i < keys.length; i++) {
      if (Array.isArray(answer[keys[i]])) return answer[keys[i]];
    }
    return [];
  }

  /** The display name of an office (or anything with names) in the page language. */
  function nameOf(props, fallback) {
    if (!props) return fallback || "";
    var lang = config.lang;
    var other = lang === "en" ? "th" : "en";
    var name = props.name;
    var candidates = [
      props["name_" + lang],
      props["office_name_" + lang],
      name && typeof name === "object" ? name[lang] : null,
      typeof name === "string" ? name : null,
      props["name_" + other],
      props["office_name_" + other],
      name && typeof name === "object" ? name[other] : null,
    ];
    for (var i = 0; i < candidates.length; i++) {
      if (typeof candidates[i] === "string" && candidates[i].trim()) return candidates[i];
    }
    return fallback || props.office_id || "";
  }

  /** "5 min", "3 h", "2 d" from a number of seconds. */
  function duration(seconds) {
    var s = Math.max(0, Math.round(Number(seconds)));
    if (s < 90) return t("unit_s", { n: s });
    if (s < 5400) return t("unit_min", { n: Math.round(s / 60) });
    if (s < 172800) return t("unit_h", { n: Math.round(s / 3600) });
    return t("unit_d", { n: Math.round(s / 86400) });
  }

  /** A <time> element for an RFC 3339 string, relative ("5 min ago"), absolute in its title. */
  function relativeTime(iso) {
    if (!iso) return el("span", { class: "muted", text: t("never") });
    var when = new Date(iso);
    if (isNaN(when.getTime())) return el("span", { text: String(iso) });
    var seconds = (Date.now() - when.getTime()) / 1000;
    return el("time", {
      datetime: iso,
      title: absoluteTime(when),
      text: t("ago", { t: duration(seconds) }),
    });
  }

  function absoluteTime(date) {
    return date.toLocaleString(LOCALE, { timeZone: "Asia/Bangkok", hour12: false });
  }

  function number(value, digits) {
    if (value === null || value === undefined || value === "" || isNaN(Number(value))) return null;
    return Number(value).toLocaleString(LOCALE, { maximumFractionDigits: digits || 0 });
  }

  /** Shows a one-line status; errors get a text marker, not only a colour. */
  function setStatus(text, isError) {
    var node = document.getElementById("status");
    if (!node) return;
    node.textContent = isError ? "⚠ " + text : text;
    node.classList.toggle("error", !!isError);
  }

  /** Runs `task` now and every `seconds`, never two at once; errors go to the status line. */
  function every(seconds, task) {
    var busy = false;
    function run() {
      if (busy) return;
      busy = true;
      Promise.resolve()
        .then(task)
        .catch(function (error) {
          setStatus(t("load_error", { detail: error && error.message ? error.message : "?" }), true);
        })
        .then(function () {
          busy = false;
        });
    }
    run();
    return window.setInterval(run, seconds * 1000);
  }

  /** Swaps a table's body for `tbody`, keeping keyboard focus on the same link of the same row
      (rows carry `rowAttr`), so a refresh never throws a keyboard user back to the page top. */
  function replaceBody(table, tbody, rowAttr) {
    var active = document.activeElement;
    var rowKey = null;
    var href = null;
    if (active && active !== document.body && table.contains(active)) {
      var row = active.closest("tr");
      rowKey = row ? row.getAttribute(rowAttr) : null;
      href = active.getAttribute("href");
    }
    table.replaceChild(tbody, table.tBodies[0]);
    if (rowKey === null || href === null) return;
    var again = tbody.querySelector(
      "tr[" + rowAttr + '="' + CSS.escape(rowKey) + '"] a[href="' + CSS.escape(href) + '"]'
    );
    if (again) again.focus();
  }

  takeTokenFromLink();
  try {
    window.localStorage.setItem("cf_lang", config.lang);
  } catch (ignored) {
    /* private mode: the cookie still remembers the language */
  }

  window.CF = {
    config: config,
    t: t,
    el: el,
    getJSON: getJSON,
    token: token,
    setToken: setToken,
    listOf: listOf,
    nameOf: nameOf,
    duration: duration,
    relativeTime: relativeTime,
    absoluteTime: absoluteTime,
    number: number,
    setStatus: setStatus,
    every: every,
    replaceBody: replaceBody,
  };
})();
