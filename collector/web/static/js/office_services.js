/* The office page's service sections: services offered, hours and open now, zero-copy status
   (declared and measured, in words), and the satisfaction scorecard with count and interval. */
(function () {
  "use strict";

  var CF = window.CF;
  var t = CF.t;
  var el = CF.el;
  var officeId = CF.config.officeId;
  var base = "/offices/" + encodeURIComponent(officeId);
  var ZC_DAYS = 30;
  var WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

  function fail(node, error) {
    node.textContent = "";
    node.appendChild(el("li", { class: "status error", text: "⚠ " + t("section_error", { detail: error && error.message ? error.message : "?" }) }));
  }

  function when(iso) {
    return iso ? CF.absoluteTime(new Date(iso)) : "";
  }

  function pct(share) {
    return CF.number(Number(share) * 100, 0) + "%";
  }

  function services() {
    var list = document.getElementById("office-services");
    var status = document.getElementById("svc-status");
    return CF.getJSON(base + "/services").then(
      function (answer) {
        var items = CF.listOf(answer, ["items"]);
        status.textContent = items.length ? "" : t("where_none");
        items.forEach(function (sv) {
          var extra = [];
          if (sv.counters && sv.counters.length) extra.push(t("counters", { list: sv.counters.join(", ") }));
          list.appendChild(
            el("li", { "data-service-id": sv.service_id }, [
              el("a", { href: "/services/" + encodeURIComponent(sv.service_id), text: CF.nameOf(sv) }),
              extra.length ? el("small", { class: "muted", text: " · " + extra.join(" · ") }) : null,
            ])
          );
        });
      },
      function (error) {
        status.textContent = "⚠ " + t("section_error", { detail: error.message });
        status.classList.add("error");
      }
    );
  }

  function hours() {
    var line = document.getElementById("open-now");
    var table = document.getElementById("hours");
    return CF.getJSON(base + "/hours").then(
      function (h) {
        if (h.open_now === null || h.open_now === undefined) line.textContent = t("hours_unknown");
        else if (h.open_now) line.textContent = t("open_now", { t: when(h.closes_at) });
        else line.textContent = h.opens_at ? t("closed_opens", { t: when(h.opens_at) }) : t("closed");
        if (h.holiday_today) line.textContent += " · " + t("holiday_today", { name: CF.nameOf(h.holiday_today) });
        var body = el(
          "tbody",
          {},
          WEEKDAYS.map(function (day) {
            var spans = (h.hours && h.hours[day]) || [];
            return el("tr", {}, [el("th", { scope: "row", text: t("wd_" + day) }), el("td", { text: spans.length ? spans.join(", ") : t("wd_closed") })]);
          })
        );
        table.replaceChild(body, table.tBodies[0]);
      },
      function (error) {
        line.textContent = "⚠ " + t("section_error", { detail: error.message });
        line.classList.add("error");
      }
    );
  }

  function zeroCopy() {
    var list = document.getElementById("zero-copy");
    return CF.getJSON(base + "/zero-copy?days=" + ZC_DAYS).then(
      function (z) {
        var lines = [];
        var declared = z.declared || {};
        if (declared.status === "no_copies") lines.push(["ok", t("zc_declared_none")]);
        else if (declared.status === "copies") {
          var asked = [];
          (declared.services || []).forEach(function (sv) {
            (sv.documents || []).forEach(function (d) {
              if (d.office_asks_copy) asked.push(CF.nameOf(d));
            });
          });
          lines.push(["warn", t("zc_declared_copies", { list: asked.join(", ") })]);
        } else lines.push(["unknown", t("zc_declared_unknown")]);
        if ((declared.services || []).some(function (sv) { return sv.copies_made_free; })) lines.push(["ok", t("zc_made_free")]);
        var m = z.measured || {};
        if (m.sessions) lines.push(["info", t("zc_measured", { days: ZC_DAYS, k: m.sessions_with_copy, n: m.sessions, pct: pct(m.copy_share) })]);
        else lines.push(["info", t("zc_measured_none", { days: ZC_DAYS })]);
        if (z.mismatch) lines.push(["warn", t("zc_mismatch_" + z.mismatch, { pct: pct(z.threshold) })]);
        list.textContent = "";
        lines.forEach(function (line) {
          list.appendChild(el("li", { class: "badge-line badge-" + line[0], "data-kind": line[0], text: line[1] }));
        });
      },
      function (error) {
        fail(list, error);
      }
    );
  }

  function scorecard() {
    var list = document.getElementById("scorecard");
    return CF.getJSON(base + "/scorecard").then(
      function (card) {
        list.textContent = "";
        var periods = (card.periods || []).filter(function (p) {
          return p.count > 0;
        });
        if (!periods.length) {
          // Fewer than k ratings in every period: the figures are suppressed (privacy).
          var hidden = card.k_anonymity ? t("sc_suppressed", { k: CF.number(card.k_anonymity) }) : t("sc_none");
          list.appendChild(el("li", { text: hidden }));
          return;
        }
        var first = periods[0];
        list.appendChild(
          el("li", { "data-period": first.period }, [
            el("strong", {
              text: t("sc_line", {
                period: t("sc_period_" + first.period),
                mean: CF.number(first.mean, 2),
                n: CF.number(first.count),
                low: CF.number(first.interval_95[0], 2),
                high: CF.number(first.interval_95[1], 2),
              }),
            }),
          ])
        );
        list.appendChild(el("li", { text: t("sc_shrunk", { v: CF.number(first.shrunk_mean, 2) }) }));
        if (card.last_rating_ms) list.appendChild(el("li", { text: t("sc_last", { date: CF.absoluteTime(new Date(card.last_rating_ms)) }) }));
        openSummaryOn(card.opens_on);
      },
      function (error) {
        fail(list, error);
      }
    );
  }

  /** Opens the page's rating summary on the shortest period with data, unless the user chose. */
  function openSummaryOn(period) {
    var remembered = null;
    try {
      remembered = window.localStorage.getItem("cf_period");
    } catch (ignored) {
      /* no storage */
    }
    var input = document.querySelector('input[name="period"][value="' + period + '"]');
    if (remembered || !input || input.checked) return;
    input.checked = true;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  Promise.all([services(), hours(), zeroCopy(), scorecard()]).then(function () {
    document.body.setAttribute("data-services-loaded", "true");
  });
})();
