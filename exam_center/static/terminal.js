/* The candidate's exam terminal. No framework, no build step.
 *
 * The server holds the truth: the attempt's status, its clock and every acknowledged answer. This page
 * only shows that truth and keeps the saves the server has not acknowledged yet in a queue in
 * localStorage (per attempt), so a reload, a crash or a lost network loses nothing that was not
 * acknowledged. Every change gets the next number of a per-attempt sequence (stored with the queue, never
 * below the server's last_seq); saves go out one at a time, in order, with retries and backoff; an entry
 * leaves the queue only when the server acknowledged it after its commit.
 */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("terminal-config").textContent);
  var T = cfg.text;
  var STORE_KEY = "exam-center:terminal:" + cfg.attemptId;
  var FINISHED = ["submitted", "timed_out", "terminated", "absent"];
  var LETTERS = "ABCDEF";
  var REQUEST_TIMEOUT_MS = 10000;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");

  function $(id) { return document.getElementById(id); }
  function fmt(text, params) {
    return text.replace(/%\((\w+)\)s/g, function (_m, key) { return params[key]; });
  }

  // --- the persistent queue of unacknowledged saves ------------------------------------------------
  function loadStore() {
    try {
      var value = JSON.parse(window.localStorage.getItem(STORE_KEY));
      if (value && Array.isArray(value.queue) && typeof value.seq === "number") { return value; }
    } catch (e) { /* unreadable: start empty */ }
    return { seq: 0, queue: [] };
  }
  var store = loadStore();
  function persist() {
    try { window.localStorage.setItem(STORE_KEY, JSON.stringify(store)); } catch (e) { /* full or disabled: kept in memory */ }
  }
  function forget() {
    try { window.localStorage.removeItem(STORE_KEY); } catch (e) { /* nothing to do */ }
  }

  // --- what the server told us ---------------------------------------------------------------------
  var state = { status: null, questions: [], answers: {}, lastSeq: 0, count: 0 };
  var current = 1;
  var clock = { remaining: null, at: 0 };
  var sending = false, inFlightSeq = null, retryTimer = null, backoff = 0;
  var heartbeatBusy = false, lastDeadlinePoke = 0, leaving = false;

  function answerOf(position) {
    var answer = state.answers[position] || null;
    store.queue.forEach(function (entry) {
      if (entry.position === position && (!answer || entry.seq > answer.seq)) { answer = entry; }
    });
    return answer;
  }
  function isAnswered(position) { var a = answerOf(position); return !!(a && a.chosen.length); }
  function isMarked(position) { var a = answerOf(position); return !!(a && a.marked); }

  // --- talking to the server -----------------------------------------------------------------------
  function call(url, method, body) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    var options = {
      method: method, credentials: "same-origin", cache: "no-store",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf },
      signal: controller ? controller.signal : undefined
    };
    if (method === "POST") {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body || {});
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (timer) { clearTimeout(timer); }
        if (data && data.csrf_token) { csrf = data.csrf_token; }
        if (response.status >= 500 || (response.status === 429)) {
          var error = new Error("server " + response.status); error.transient = true; throw error;
        }
        return { ok: response.ok, status: response.status, data: data || {} };
      });
    }, function (error) {
      if (timer) { clearTimeout(timer); }
      error.transient = true;
      throw error;
    });
  }

  // This browser may no longer act for the attempt: back to the sign-in page, which says why.
  var SHUT_OUT = ["terminal.signed_out", "terminal.moved", "terminal.replaced"];
  function refused(reply) {
    var code = reply.data.code || "";
    if (SHUT_OUT.indexOf(code) < 0) { return false; }
    goTo(cfg.urls.signIn + "?reason=" + encodeURIComponent(code));
    return true;
  }

  function goTo(url) {
    if (leaving) { return; }
    leaving = true;
    window.location.replace(url);
  }

  // --- connection state ----------------------------------------------------------------------------
  var connKind = "connected";
  function setConn(kind) { connKind = kind; renderConn(); }
  function renderConn() {
    var box = $("conn");
    box.className = "conn " + connKind;
    $("conn-text").textContent = T[connKind];
    $("queue-text").textContent = store.queue.length ? fmt(T.queued, { count: store.queue.length }) : T.allSaved;
  }
  function connectionLost() { setConn(navigator.onLine === false ? "offline" : "reconnecting"); }

  // --- saves ---------------------------------------------------------------------------------------
  function change(position, chosen, marked) {
    store.seq = Math.max(store.seq, state.lastSeq) + 1;
    // An unsent older save of the same question is superseded (never the one on its way).
    store.queue = store.queue.filter(function (e) { return e.position !== position || e.seq === inFlightSeq; });
    store.queue.push({ position: position, chosen: chosen, marked: marked, seq: store.seq });
    persist();
    render();
    pump();
  }

  function scheduleRetry() {
    if (retryTimer) { return; }
    backoff = Math.min(backoff ? backoff * 2 : 1000, 10000);
    retryTimer = setTimeout(function () { retryTimer = null; pump(); }, backoff);
  }

  function acknowledged(entry, data) {
    store.queue = store.queue.filter(function (e) { return e.seq !== entry.seq; });
    persist();
    if (data.applied) {
      state.answers[entry.position] = { position: entry.position, chosen: entry.chosen, marked: entry.marked, seq: entry.seq };
    }
    state.lastSeq = Math.max(state.lastSeq, data.seq);
    setClock(data.remaining_seconds);
    backoff = 0;
    setConn("connected");
    if (!data.applied) { refreshState(); }  // the server holds something newer: show it
    if (data.status !== state.status) { applyStatus(data.status); }
  }

  function pump() {
    if (sending || leaving || !store.queue.length || state.status !== "in_progress") { renderConn(); return; }
    sending = true;
    var entry = store.queue[0];
    inFlightSeq = entry.seq;
    call(cfg.urls.save, "POST", { position: entry.position, chosen: entry.chosen, marked: entry.marked, seq: entry.seq })
      .then(function (reply) {
        if (reply.ok) { acknowledged(entry, reply.data); return true; }
        if (refused(reply)) { return false; }
        setConn("connected");
        if (reply.status === 422) {
          // Can never succeed (no such question or option): drop it and show the server's answer.
          store.queue = store.queue.filter(function (e) { return e.seq !== entry.seq; });
          persist();
        }
        // Not in progress (paused, ended) or an expired token: the state decides what comes next, and
        // what is still queued is tried again (pump does nothing unless the exam is in progress).
        refreshState().then(scheduleRetry);
        return false;
      }, function () { connectionLost(); scheduleRetry(); return false; })
      .catch(function () { scheduleRetry(); return false; })
      .then(function (again) {
        sending = false; inFlightSeq = null;
        render();
        if (again) { pump(); }
      });
  }

  // --- state, heartbeat, clock ---------------------------------------------------------------------
  function applyState(data) {
    state.status = data.status;
    state.count = data.question_count;
    state.lastSeq = data.last_seq;
    if (data.questions && data.questions.length) { state.questions = data.questions; }
    state.answers = {};
    (data.answers || []).forEach(function (a) { state.answers[a.position] = a; });
    store.seq = Math.max(store.seq, data.last_seq);
    // Whatever the server holds at or above an entry's number for that question is already durable.
    store.queue = store.queue.filter(function (e) {
      var held = state.answers[e.position];
      return e.seq === inFlightSeq || !held || held.seq < e.seq;
    });
    persist();
    setClock(data.remaining_seconds);
    applyStatus(data.status);
  }

  var refreshing = null;
  function refreshState() {
    if (refreshing) { return refreshing; }
    refreshing = call(cfg.urls.state, "GET").then(function (reply) {
      refreshing = null;
      if (reply.ok) { setConn("connected"); applyState(reply.data); return; }
      if (!refused(reply)) { showError(reply.data.message); }
    }, function () {
      refreshing = null;
      connectionLost();
      setTimeout(refreshState, Math.min(2000 + Math.random() * 2000, 5000));
    });
    return refreshing;
  }

  function heartbeat() {
    if (heartbeatBusy || leaving) { return; }
    heartbeatBusy = true;
    call(cfg.urls.heartbeat, "POST", {}).then(function (reply) {
      heartbeatBusy = false;
      if (!reply.ok) { if (!refused(reply)) { showError(reply.data.message); refreshState(); } return; }
      var wasDown = connKind !== "connected";
      setConn("connected");
      setClock(reply.data.remaining_seconds);
      if (reply.data.status !== state.status) {
        applyStatus(reply.data.status);
      }
      if (wasDown || store.queue.length) {
        if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
        backoff = 0;
        pump();
      }
    }, function () { heartbeatBusy = false; connectionLost(); });
  }

  function setClock(seconds) {
    if (typeof seconds !== "number") { return; }
    clock.remaining = seconds;
    clock.at = performance.now();
    tick();
  }

  function secondsLeft() {
    if (clock.remaining === null) { return null; }
    var left = clock.remaining;
    if (state.status === "in_progress") { left -= (performance.now() - clock.at) / 1000; }
    return Math.max(0, left);
  }

  function tick() {
    var left = secondsLeft();
    var box = $("clock");
    if (left === null) { return; }
    var whole = Math.ceil(left);
    var h = Math.floor(whole / 3600), m = Math.floor(whole % 3600 / 60), s = whole % 60;
    $("clock-value").textContent = (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
    var low = state.status === "in_progress" && left < 300;
    box.classList.toggle("low", low);
    box.title = low ? T.timeLow : "";
    if (state.status === "in_progress" && left <= 0 && performance.now() - lastDeadlinePoke > 2000) {
      lastDeadlinePoke = performance.now();
      heartbeat();  // the server ends the attempt; we only ask
    }
  }

  function applyStatus(status) {
    state.status = status;
    if (FINISHED.indexOf(status) >= 0) {
      forget();  // the server refuses further saves: nothing left to keep
      goTo(cfg.urls.result);
      return;
    }
    var running = status === "in_progress" || status === "paused";
    if (running && !state.questions.length) { refreshState(); return; }
    $("intro").hidden = running;
    $("exam").hidden = !running;
    $("pause").hidden = status !== "paused";
    if (!running) {
      $("start").disabled = status !== "checked_in";
      $("intro-msg").textContent = status === "checked_in" ? T.canStart : T.waitCheckIn;
    }
    if (status === "paused") { closeConfirm(); }
    render();
    if (status === "in_progress") { pump(); }
  }

  function showError(message) {
    var target = !$("confirm").hidden ? $("confirm-msg") : $("intro-msg");
    target.textContent = fmt(T.error, { message: message || "?" });
  }

  // --- drawing -------------------------------------------------------------------------------------
  var gridBuilt = 0;
  function buildGrid() {
    var grid = $("grid");
    grid.textContent = "";
    for (var n = 1; n <= state.questions.length; n++) {
      var cell = document.createElement("button");
      cell.type = "button";
      cell.textContent = n;
      cell.dataset.position = n;
      cell.addEventListener("click", function (event) { go(Number(event.currentTarget.dataset.position)); });
      grid.appendChild(cell);
    }
    gridBuilt = state.questions.length;
  }

  function render() {
    renderConn();
    if (!state.questions.length || $("exam").hidden) { return; }
    if (gridBuilt !== state.questions.length) { buildGrid(); }
    current = Math.min(Math.max(1, current), state.questions.length);
    var q = state.questions[current - 1];
    var answer = answerOf(q.position);
    var chosen = answer ? answer.chosen : [];
    $("q-number").textContent = fmt(T.question, { n: q.position, total: state.questions.length });
    $("q-type").textContent = T[q.type] || q.type;
    $("q-points").textContent = fmt(T.points, { points: q.points });
    $("q-marked").hidden = !(answer && answer.marked);
    $("q-stem").textContent = q.stem;
    $("q-hint").textContent = q.type === "multi" ? T.multiHint : "";
    var box = $("q-options");
    box.className = "options " + q.type;
    box.setAttribute("role", q.type === "multi" ? "group" : "radiogroup");
    box.textContent = "";
    q.options.forEach(function (text, index) {
      var option = document.createElement("button");
      option.type = "button";
      option.className = "option";
      option.setAttribute("role", q.type === "multi" ? "checkbox" : "radio");
      option.setAttribute("aria-checked", chosen.indexOf(index) >= 0 ? "true" : "false");
      option.dataset.index = index;
      var letter = document.createElement("span");
      letter.className = "letter";
      letter.textContent = LETTERS[index];
      var label = document.createElement("span");
      label.textContent = text;
      option.appendChild(letter);
      option.appendChild(label);
      option.addEventListener("click", function () { choose(index); });
      box.appendChild(option);
    });
    $("prev").disabled = current <= 1;
    $("next").disabled = current >= state.questions.length;
    $("mark").textContent = answer && answer.marked ? T.unmark : T.mark;
    var answered = 0, marked = 0;
    Array.prototype.forEach.call($("grid").children, function (cell) {
      var position = Number(cell.dataset.position);
      var isA = isAnswered(position), isM = isMarked(position);
      answered += isA ? 1 : 0;
      marked += isM ? 1 : 0;
      cell.className = (isA ? "answered" : "unanswered") + (isM ? " marked" : "") + (position === current ? " current" : "");
      cell.setAttribute("aria-current", position === current ? "true" : "false");
    });
    $("count-answered").textContent = answered;
    $("count-unanswered").textContent = state.questions.length - answered;
    $("count-marked").textContent = marked;
  }

  // --- the candidate's actions ---------------------------------------------------------------------
  function editable() { return state.status === "in_progress" && $("confirm").hidden && !leaving; }

  function go(position) {
    if (!state.questions.length) { return; }
    current = Math.min(Math.max(1, position), state.questions.length);
    render();
  }

  function choose(index) {
    if (!editable()) { return; }
    var q = state.questions[current - 1];
    if (index >= q.options.length) { return; }
    var answer = answerOf(q.position);
    var chosen = answer ? answer.chosen.slice() : [];
    if (q.type === "multi") {
      var at = chosen.indexOf(index);
      if (at >= 0) { chosen.splice(at, 1); } else { chosen.push(index); }
      chosen.sort();
    } else {
      if (chosen.length === 1 && chosen[0] === index) { return; }
      chosen = [index];
    }
    change(q.position, chosen, !!(answer && answer.marked));
  }

  function toggleMark() {
    if (!editable()) { return; }
    var q = state.questions[current - 1];
    var answer = answerOf(q.position);
    change(q.position, answer ? answer.chosen.slice() : [], !(answer && answer.marked));
  }

  function start() {
    $("start").disabled = true;
    call(cfg.urls.start, "POST", {}).then(function (reply) {
      if (reply.ok) { applyState(reply.data); return; }
      if (refused(reply)) { return; }
      $("intro-msg").textContent = reply.data.message || "";
      refreshState();
    }, function () { connectionLost(); $("start").disabled = false; });
  }

  function listOf(positions) { return positions.join("、"); }

  function openConfirm() {
    if (state.status !== "in_progress") { return; }
    var unanswered = [], marked = [];
    for (var n = 1; n <= state.questions.length; n++) {
      if (!isAnswered(n)) { unanswered.push(n); }
      if (isMarked(n)) { marked.push(n); }
    }
    $("confirm-unanswered").textContent = unanswered.length ? fmt(T.unanswered, { count: unanswered.length, list: listOf(unanswered) }) : T.noneUnanswered;
    $("confirm-marked").textContent = marked.length ? fmt(T.markedList, { list: listOf(marked) }) : "";
    $("confirm-msg").textContent = "";
    $("confirm-yes").disabled = false;
    $("confirm").hidden = false;
    $("confirm-no").focus();
  }

  function closeConfirm() { $("confirm").hidden = true; }

  function waitForQueue(deadline) {
    return new Promise(function (resolve) {
      (function check() {
        if (!store.queue.length) { resolve(true); return; }
        if (performance.now() > deadline) { resolve(false); return; }
        pump();
        setTimeout(check, 200);
      })();
    });
  }

  function submit() {
    $("confirm-yes").disabled = true;
    if (store.queue.length) { $("confirm-msg").textContent = T.saving; }
    waitForQueue(performance.now() + 15000).then(function (drained) {
      if (!drained) {
        $("confirm-msg").textContent = T.cannotSubmitOffline;
        $("confirm-yes").disabled = false;
        return;
      }
      call(cfg.urls.submit, "POST", {}).then(function (reply) {
        if (reply.ok) { forget(); goTo(reply.data.result_url || cfg.urls.result); return; }
        if (refused(reply)) { return; }
        $("confirm-msg").textContent = reply.data.message || "";
        $("confirm-yes").disabled = false;
        refreshState();
      }, function () {
        connectionLost();
        $("confirm-msg").textContent = T.cannotSubmitOffline;
        $("confirm-yes").disabled = false;
      });
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey) { return; }
    if (!$("confirm").hidden) {
      if (event.key === "Escape") { closeConfirm(); }
      return;
    }
    if ($("exam").hidden || state.status !== "in_progress") { return; }
    var key = event.key;
    if (key === "ArrowLeft") { go(current - 1); event.preventDefault(); return; }
    if (key === "ArrowRight") { go(current + 1); event.preventDefault(); return; }
    if (key === "m" || key === "M") { toggleMark(); event.preventDefault(); return; }
    if (/^[1-6]$/.test(key)) { choose(Number(key) - 1); event.preventDefault(); return; }
    var letter = LETTERS.indexOf(key.toUpperCase());
    if (key.length === 1 && letter >= 0) { choose(letter); event.preventDefault(); }
  });

  $("prev").addEventListener("click", function () { go(current - 1); });
  $("next").addEventListener("click", function () { go(current + 1); });
  $("mark").addEventListener("click", toggleMark);
  $("start").addEventListener("click", start);
  $("submit").addEventListener("click", openConfirm);
  $("confirm-no").addEventListener("click", closeConfirm);
  $("confirm-yes").addEventListener("click", submit);
  window.addEventListener("online", function () { backoff = 0; heartbeat(); pump(); });
  window.addEventListener("offline", function () { setConn("offline"); });

  renderConn();
  refreshState();
  // --- in-exam face monitoring: a small webcam snapshot now and then; the server judges it -----------
  function startFaceWatch() {
    var seconds = cfg.faceWatchSeconds;
    if (!seconds) { return; }
    var box = $("watch"), video = $("watch-video");
    box.hidden = false;
    function cameraOff() { box.className = "watch off"; $("watch-text").textContent = T.cameraOff; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { cameraOff(); return; }
    navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false }).then(function (stream) {
      video.srcObject = stream;
      video.play();
      $("watch-text").textContent = T.cameraOn;
      var canvas = document.createElement("canvas"), busy = false;
      canvas.width = 640; canvas.height = 480;
      function snap() {
        // Never in the way of the exam: one snapshot at a time, only while answering, dropped on any error.
        if (busy || leaving || state.status !== "in_progress" || video.readyState < 2) { return; }
        busy = true;
        canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          if (!blob) { busy = false; return; }
          fetch(cfg.urls.snapshot, { method: "POST", credentials: "same-origin", cache: "no-store",
                                     headers: { "Content-Type": "image/jpeg", "X-CSRFToken": csrf }, body: blob })
            .then(function (response) {
              if (response.status === 401) { return response.json().then(function (data) { refused({ data: data }); }); }
            })
            .catch(function () { return null; })
            .then(function () { busy = false; });
        }, "image/jpeg", 0.8);
      }
      setTimeout(snap, 2000);
      setInterval(snap, seconds * 1000);
    }, cameraOff);
  }
  startFaceWatch();

  setInterval(heartbeat, cfg.heartbeatSeconds * 1000);
  setInterval(tick, 250);
})();
