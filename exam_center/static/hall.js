// The proctor's hall console: refresh the seat map, counts and alerts from state.json every few seconds.
// The page works without this script (a reload shows the same); the server owns every state and the clock.
(function () {
  "use strict";
  var hall = document.getElementById("hall");
  if (!hall || !window.fetch) return;
  var labels = JSON.parse(document.getElementById("hall-labels").textContent);
  var stateUrl = hall.dataset.stateUrl;
  var candidateBase = hall.dataset.candidateBase;
  var refreshMs = (parseInt(hall.dataset.refresh, 10) || 3) * 1000;
  var selected = hall.dataset.selected;
  var live = document.getElementById("live");
  var lastOk = live.dataset.time || "";
  var received = Date.now();
  var timers = {};   // seat label -> remaining seconds at `received` (only while answering)

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key]; });
  }
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    seconds = Math.max(0, Math.round(seconds));
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function stateLabel(state) { return labels.states[state] || state; }

  function tile(seat) {
    var node = el(seat.candidate_id ? "a" : "div", "seat st-" + seat.state);
    if (seat.candidate_id) node.href = candidateBase + seat.candidate_id;
    if (seat.candidate_id && String(seat.candidate_id) === selected) node.classList.add("selected");
    node.dataset.seat = seat.label;
    node.dataset.candidate = seat.candidate_id || "";
    node.appendChild(el("span", "seat-label", seat.label));
    node.appendChild(el("span", "seat-name", seat.name || ""));
    node.appendChild(el("span", "seat-state", stateLabel(seat.state)));
    var bar = el("span", "seat-bar"), fill = el("i");
    fill.style.width = (seat.total ? Math.round(100 * seat.answered / seat.total) : 0) + "%";
    bar.appendChild(fill);
    node.appendChild(bar);
    var figures = el("span", "seat-figures");
    var parts = [];
    if (seat.candidate_id && seat.state !== "scheduled" && seat.state !== "absent") parts.push(seat.answered + "/" + seat.total);
    figures.textContent = parts.join("");
    if (seat.state === "in_progress" || seat.state === "paused" || seat.state === "missing") {
      figures.appendChild(document.createTextNode(" · "));
      figures.appendChild(el("span", "seat-time", duration(seat.remaining_seconds)));
    }
    if (seat.state === "vacated" && seat.moved_to) figures.textContent = fmt(labels.moved_to, {seat: seat.moved_to});
    node.appendChild(figures);
    node.appendChild(el("span", "seat-warn", seat.warnings ? "⚠ " + seat.warnings : ""));
    return node;
  }

  function render(data) {
    var seats = document.getElementById("seats");
    var fresh = document.createDocumentFragment();
    timers = {};
    data.seats.forEach(function (seat) {
      fresh.appendChild(tile(seat));
      if (seat.state === "in_progress" || seat.state === "missing") timers[seat.label] = seat.remaining_seconds;
      if (seat.candidate_id && String(seat.candidate_id) === selected) panel(seat);
    });
    seats.replaceChildren(fresh);
    received = Date.now();
    Object.keys(data.counts).forEach(function (key) {
      var dd = document.querySelector('[data-count="' + key + '"]');
      if (dd) dd.textContent = data.counts[key];
    });
    var list = document.getElementById("alerts");
    var items = document.createDocumentFragment();
    data.alerts.forEach(function (alert) {
      var li = el("li", "alert al-" + alert.kind), a = el("a");
      a.href = candidateBase + alert.candidate_id;
      a.appendChild(el("b", "", labels.alerts[alert.kind] || alert.kind));
      a.appendChild(document.createTextNode(" " + alert.seat + " " + alert.name));
      if (alert.kind === "missing" && alert.seconds !== null) a.appendChild(el("span", "muted", fmt(labels.seen, {seconds: alert.seconds})));
      if (alert.reason) a.appendChild(el("span", "muted", alert.reason));
      if (alert.at_local && alert.kind !== "missing") a.appendChild(el("span", "muted", alert.at_local));
      li.appendChild(a);
      items.appendChild(li);
    });
    if (!data.alerts.length) items.appendChild(el("li", "muted", labels.no_alerts));
    list.replaceChildren(items);
  }

  function panel(seat) {
    var state = document.getElementById("panel-state");
    if (!state) return;
    state.className = "badge st-" + seat.state;
    state.textContent = stateLabel(seat.state);
    document.getElementById("panel-progress").textContent = seat.answered + "/" + seat.total;
    document.getElementById("panel-time").textContent = duration(seat.remaining_seconds);
    document.getElementById("panel-seen").textContent =
      seat.seen_seconds_ago === null ? "—" : fmt(labels.ago, {seconds: seat.seen_seconds_ago});
    // The offered actions depend on the state: when it changed elsewhere (terminal, deadline), reload the panel
    // unless the proctor is typing in it.
    var typing = document.activeElement && document.activeElement.closest && document.activeElement.closest("#panel form");
    var same = function (s) { return s === "missing" ? "in_progress" : s; };
    if (same(seat.state) !== same(state.dataset.initial) && !typing) window.location.reload();
  }

  function tick() {
    var elapsed = (Date.now() - received) / 1000;
    Object.keys(timers).forEach(function (label) {
      var node = document.querySelector('.seat[data-seat="' + CSS.escape(label) + '"] .seat-time');
      if (node && timers[label] !== null) node.textContent = duration(timers[label] - elapsed);
    });
  }

  function poll() {
    fetch(stateUrl, {credentials: "same-origin", headers: {Accept: "application/json"}, cache: "no-store"})
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.redirected || type.indexOf("application/json") < 0) {
          var error = new Error("signed out");
          error.signedOut = true;
          throw error;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        render(data);
        lastOk = data.now_local;
        live.classList.remove("offline");
        live.textContent = fmt(labels.online, {time: lastOk});
      })
      .catch(function (error) {
        live.classList.add("offline");
        live.textContent = error.signedOut ? labels.signed_out : fmt(labels.offline, {time: lastOk});
      })
      .then(function () { setTimeout(poll, refreshMs); });
  }

  setInterval(tick, 1000);
  setTimeout(poll, refreshMs);
})();
