// The officer view: polls /api/card and shows the card's data only while the card is in.
// Everything is cleared from the page whenever the state is not "shown".
"use strict";
(function () {
  const status = document.getElementById("status");
  const card = document.getElementById("card");
  if (!status || !card) { return; }
  const lang = status.dataset.lang || "th";
  const token = document.querySelector('meta[name="officer-token"]').content;
  const photo = document.getElementById("photo");
  const noPhoto = document.getElementById("no-photo");
  const copy = document.getElementById("copy");
  let version = -1;
  let shownVersion = null;

  function message(key) {
    return status.dataset["msg" + key.split("_").map(function (p) {
      return p.charAt(0).toUpperCase() + p.slice(1);
    }).join("")] || key;
  }
  function say(key, problem) {
    status.textContent = message(key);
    status.classList.toggle("problem", Boolean(problem));
  }
  function clear() {
    shownVersion = null;
    card.hidden = true;
    if (copy) { copy.hidden = true; }
    document.querySelectorAll("[data-field], [data-check]").forEach(function (el) {
      el.textContent = "";
      el.classList.remove("bad");
    });
    photo.removeAttribute("src");
    photo.hidden = true;
    noPhoto.hidden = true;
  }
  function show(data, v) {
    Object.keys(data.fields).forEach(function (name) {
      const el = document.querySelector('[data-field="' + name + '"]');
      if (el) { el.textContent = data.fields[name]; }
    });
    Object.keys(data.checks).forEach(function (name) {
      const el = document.querySelector('[data-check="' + name + '"]');
      if (el) {
        el.textContent = data.checks[name];
        el.classList.toggle("bad", !data.checks_ok[name]);
      }
    });
    if (data.photo) {
      photo.src = "/api/photo?v=" + v;
      photo.hidden = false;
    } else {
      noPhoto.hidden = false;
    }
    card.hidden = false;
    if (copy) { copy.hidden = false; }
    shownVersion = v;
  }
  function render(state) {
    if (state.version === version) { return; }
    version = state.version;
    clear();
    if (state.state === "shown" && state.card) {
      say("shown", false);
      show(state.card, state.version);
    } else if (state.state === "failed") {
      const known = ["read_interrupted", "not_thai_card"];
      say(known.indexOf(state.fault) >= 0 ? state.fault : "failed", true);
    } else {
      say(state.state, state.state === "timed_out");
    }
  }
  function poll() {
    fetch("/api/card?lang=" + lang, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(render)
      .catch(function () { version = -1; clear(); say("failed", true); })
      .finally(function () { window.setTimeout(poll, 500); });
  }
  if (copy) {
    copy.addEventListener("submit", function (event) {
      event.preventDefault();
      const service = document.getElementById("service").value;
      fetch("/api/copy", {
        method: "POST",
        cache: "no-store",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-Officer-Token": token },
        body: JSON.stringify({ version: shownVersion, service: service }),
      }).then(function (r) {
        say(r.ok ? "copy_done" : (r.status === 409 ? "copy_stale" : "copy_failed"), !r.ok);
      }).catch(function () { say("copy_failed", true); });
    });
  }
  poll();
})();
