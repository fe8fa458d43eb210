// Live session pages: one WebSocket per tab that resumes from the last event it saw, regions
// re-fetched from the server when an event touches them, and countdowns announced politely.
// User text only ever arrives as server-rendered HTML (escaped there); nothing here builds
// markup from event payloads.
(function () {
  "use strict";

  var root = document.getElementById("live");
  if (!root || !window.WebSocket) { return; }

  var TOPICS = {
    segment_started: "runsheet", segment_extended: "runsheet", segment_skipped: "runsheet",
    segment_ended: "runsheet", runsheet_edited: "runsheet", round_started: "round", round_changed: "round",
    round_ended: "round", presence: "presence"
  };
  var me = root.getAttribute("data-participant");
  var isConsole = root.hasAttribute("data-console");
  var statusEl = document.querySelector("[data-live-status]");
  var announceEl = document.querySelector("[data-live-announce]");
  var socket = null;
  var lastSeq = null;
  var attempts = 0;
  var pingTimer = null;
  var myGroup = null; // the number of my group in the open round, for participants
  var announced = {};
  var offsetMs = 0; // server clock minus this device's clock

  function setStatus(text) { if (statusEl) { statusEl.textContent = text; } }
  function announce(text) {
    if (!announceEl) { return; }
    // Clearing first makes screen readers repeat an identical message.
    announceEl.textContent = "";
    window.setTimeout(function () { announceEl.textContent = text; }, 50);
  }

  // --- Regions -------------------------------------------------------------------------
  var pending = {};
  function refresh(topic) {
    var regions = root.querySelectorAll("[data-part][data-topics~='" + topic + "']");
    Array.prototype.forEach.call(regions, function (region) {
      var url = region.getAttribute("data-part");
      if (pending[url]) { return; }
      // A short random delay spreads a thousand tabs' requests after one event.
      pending[url] = window.setTimeout(function () { load(region, url); },
        50 + Math.floor(Math.random() * 250));
    });
  }
  function load(region, url) {
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        delete pending[url];
        var focused = document.activeElement;
        var focusId = focused && region.contains(focused) ? focused.id : null;
        region.innerHTML = html;
        if (focusId) {
          var again = document.getElementById(focusId);
          if (again) { again.focus(); }
        }
        syncClock();
        tick();
      })
      .catch(function () {
        delete pending[url];
        setStatus("Could not refresh part of the page; it will try again with the next change.");
      });
  }
  function refreshAll() { ["runsheet", "round", "presence"].forEach(refresh); }

  // --- Events --------------------------------------------------------------------------
  function groupOf(round) {
    if (!round || !me) { return null; }
    for (var i = 0; i < round.groups.length; i++) {
      if (round.groups[i].members.indexOf(me) !== -1) { return round.groups[i].number; }
    }
    return null;
  }
  function touchesMe(payload) {
    if (payload.waiting && payload.waiting.indexOf(me) !== -1) { return true; }
    for (var i = 0; i < payload.groups.length; i++) {
      var group = payload.groups[i];
      if (group.number === myGroup) { return true; }
      if (group.members.indexOf(me) !== -1) { myGroup = group.number; return true; }
    }
    return false;
  }
  function apply(event) {
    if (lastSeq !== null && event.seq <= lastSeq) { return; }
    lastSeq = event.seq;
    var topic = TOPICS[event.kind];
    if (!topic) { return; }
    if (event.kind === "round_started") {
      myGroup = groupOf(event.payload.round);
    } else if (event.kind === "round_ended") {
      myGroup = null;
    } else if (event.kind === "round_changed" && me && !touchesMe(event.payload)) {
      return; // Someone else's group changed; a participant's view is unaffected.
    }
    if (topic === "presence" && !isConsole) { return; }
    refresh(topic);
  }
  function receive(message) {
    if (message.type === "snapshot") {
      lastSeq = message.seq;
      myGroup = groupOf(message.state.round);
      refreshAll();
    } else if (message.type === "events") {
      message.events.forEach(apply);
      lastSeq = Math.max(lastSeq === null ? 0 : lastSeq, message.seq);
    } else if (message.type === "event") {
      apply(message.event);
    } else if (message.type === "ok") {
      setStatus(message.message);
    } else if (message.type === "error") {
      setStatus("Not done: " + message.message);
    }
  }

  // --- Connection ----------------------------------------------------------------------
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + root.getAttribute("data-ws-path"));
    socket.addEventListener("open", function () {
      attempts = 0;
      setStatus("Connected: this page updates itself.");
      socket.send(JSON.stringify({ type: "hello", last_seq: lastSeq }));
      pingTimer = window.setInterval(function () {
        if (socket.readyState === WebSocket.OPEN) { socket.send('{"type":"ping"}'); }
      }, 25000);
    });
    socket.addEventListener("message", function (e) {
      var message;
      try { message = JSON.parse(e.data); } catch (err) { return; }
      receive(message);
    });
    socket.addEventListener("close", function (e) {
      window.clearInterval(pingTimer);
      if (e.code === 4404) {
        setStatus("This live session is not open to you. Reload the page or sign in again.");
        return;
      }
      attempts += 1;
      // Exponential backoff with jitter, at most 30 s, so a restarted server is not stampeded.
      var delay = Math.min(30000, 1000 * Math.pow(2, Math.min(attempts, 5)));
      delay = delay / 2 + Math.random() * delay / 2;
      setStatus("Connection lost; trying again in " + Math.round(delay / 1000) + " s.");
      window.setTimeout(connect, delay);
    });
  }

  // --- Commands (console): over the socket when it is open, else the form posts -----------
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute || !form.hasAttribute("data-command")) { return; }
    if (!socket || socket.readyState !== WebSocket.OPEN) { return; }
    e.preventDefault();
    var message = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.name === "csrfmiddlewaretoken" || field.value === "") { return; }
      if (field.name === "command") { message.type = field.value; return; }
      message[field.name] = field.type === "number" ? Number(field.value) : field.value;
    });
    setStatus("Sending…");
    socket.send(JSON.stringify(message));
  });

  // --- Countdowns --------------------------------------------------------------------------
  function syncClock() {
    var el = root.querySelector("[data-server-now]");
    if (el) {
      var server = Date.parse(el.getAttribute("data-server-now"));
      if (!isNaN(server)) { offsetMs = server - Date.now(); }
    }
  }
  function format(seconds) {
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }
  function tick() {
    var now = Date.now() + offsetMs;
    var clocks = root.querySelectorAll("[data-ends-at]");
    Array.prototype.forEach.call(clocks, function (el) {
      var end = Date.parse(el.getAttribute("data-ends-at"));
      if (isNaN(end)) { return; }
      var left = Math.max(0, Math.round((end - now) / 1000));
      var label = el.getAttribute("data-announce") || "";
      el.textContent = left > 0 ? format(left) + " left" : "Time is up";
      var key = label + "@" + end;
      var said = announced[key] || (announced[key] = {});
      // Only at moments worth interrupting for; never every second.
      if (left <= 0 && !said.up) { said.up = said.one = said.five = true; announce("Time is up for " + label + "."); }
      else if (left <= 60 && left > 0 && !said.one) { said.one = said.five = true; announce("One minute left for " + label + "."); }
      else if (left <= 300 && left > 60 && !said.five) { said.five = true; announce("Five minutes left for " + label + "."); }
    });
  }
  // Thresholds already passed when a page loads are not announced.
  syncClock();
  (function markPassed() {
    var now = Date.now() + offsetMs;
    Array.prototype.forEach.call(root.querySelectorAll("[data-ends-at]"), function (el) {
      var end = Date.parse(el.getAttribute("data-ends-at"));
      var left = (end - now) / 1000;
      var said = announced[(el.getAttribute("data-announce") || "") + "@" + end] = {};
      if (left <= 300) { said.five = true; }
      if (left <= 60) { said.one = true; }
      if (left <= 0) { said.up = true; }
    });
  })();
  tick();
  window.setInterval(tick, 1000);
  connect();
})();
