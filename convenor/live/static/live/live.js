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
    round_ended: "round", presence: "presence", rooms_message: "round", rooms_closing: "round",
    notes_saved: "notes"
  };
  var me = root.getAttribute("data-participant");
  var isConsole = root.hasAttribute("data-console");
  var statusEl = document.querySelector("[data-live-status]");
  var announceEl = document.querySelector("[data-live-announce]");
  var socket = null;
  // The event the page was rendered after: the first hello asks only for what came since
  // (a page without one asks for a snapshot and fetches every region).
  var lastSeq = wholeNumber(root.getAttribute("data-seq"));
  var attempts = 0;
  var pingTimer = null;
  // The number of my group in the open round, for participants.
  var myGroup = wholeNumber(root.getAttribute("data-group"));
  var announced = {};
  var takenOut = false; // taken out of the open round by the facilitator (see touchesMe)
  // The open round (its id and kind: "coffee" or "breakout"), as the page was rendered and
  // then as events and snapshots say.
  var roundId = root.getAttribute("data-round");
  var roundKind = root.getAttribute("data-round-kind");
  var offsetMs = 0; // server clock minus this device's clock

  function wholeNumber(text) {
    return text !== null && /^\d+$/.test(text) ? parseInt(text, 10) : null;
  }
  function setStatus(text) { if (statusEl) { statusEl.textContent = text; } }
  var announceClear = null;
  function announce(text) {
    if (!announceEl) { return; }
    // Clearing first makes screen readers repeat an identical message.
    announceEl.textContent = "";
    window.setTimeout(function () { announceEl.textContent = text; }, 50);
    // Said, then taken away, so that someone reading the page later does not come upon an
    // old message ("your group has changed" after the round has ended).
    window.clearTimeout(announceClear);
    announceClear = window.setTimeout(function () { announceEl.textContent = ""; }, 15000);
  }

  // --- Regions -------------------------------------------------------------------------
  // A region is "scheduled" (a fetch will start soon and will see any change made before it)
  // or "loading"; a change that arrives while loading marks it dirty, so it is fetched again
  // once the current response is in, and no change is ever lost.
  var pending = {};
  var dirty = {};
  // `html`: regions rendered by the server, sent with the event by name (a round's groups
  // reach their members that way); a region marked data-push="<name>" takes the one of that
  // name when the event brings it, and fetches itself otherwise.
  // `panels`: the breakout groups were formed or changed, so the activity panels built on them
  // (data-follows-round: the empathy map, the common purpose) are shown anew too. Nothing else
  // a round does (a coffee round, closing or ending the rooms, a message to them) changes them.
  function regionsFor(topic, panels) {
    var found = Array.prototype.slice.call(
      root.querySelectorAll("[data-part][data-topics~='" + topic + "']"));
    if (topic === "round" && panels) {
      // Every other activity region stays as it is, so a round's start costs no extra
      // request per tab. A region whose fetch is under way may be about to show such a panel
      // as it was before the round: it is fetched again after.
      Array.prototype.forEach.call(root.querySelectorAll("[data-part][data-activity-region]"),
        function (region) {
          var loading = pending[region.getAttribute("data-part")] === "loading";
          if (found.indexOf(region) === -1 &&
              (loading || region.querySelector("[data-follows-round]"))) {
            found.push(region);
          }
        });
    }
    return found;
  }
  // `still`: the activity region stays as it is (a segment's extension changes its times only;
  // see otherGroup).
  function refresh(topic, html, panels, still) {
    Array.prototype.forEach.call(regionsFor(topic, panels), function (region) {
      if (still && region.hasAttribute("data-activity-region")) { return; }
      var url = region.getAttribute("data-part");
      var name = region.getAttribute("data-push");
      if (html && name && typeof html[name] === "string") {
        // A fetch already under way may answer with an older view: fetch again after it.
        if (pending[url] === "loading") { dirty[url] = true; }
        show(region, html[name]);
        return;
      }
      if (html && panels && region.hasAttribute("data-activity-region") && showPanels(region, html)) {
        if (pending[url] === "loading") { dirty[url] = true; }
        return;
      }
      if (pending[url] === "loading") { dirty[url] = true; return; }
      if (pending[url]) { return; }
      schedule(region, url);
    });
  }
  // A breakout round's start brings each group its panels built on the groups ("panel:<key>",
  // see convenor.activities.pushed): each takes the place of the one shown. Unless every such
  // panel of the region came, nothing is shown and the region is fetched.
  function showPanels(region, html) {
    var shown = region.querySelectorAll("[data-follows-round]");
    if (!shown.length) { return false; }
    for (var i = 0; i < shown.length; i++) {
      if (typeof html["panel:" + shown[i].getAttribute("data-follows-round")] !== "string") { return false; }
    }
    Array.prototype.forEach.call(shown, function (panel) {
      show(panel, html["panel:" + panel.getAttribute("data-follows-round")]);
    });
    return true;
  }
  function schedule(region, url) {
    pending[url] = "scheduled";
    // A short random delay spreads a thousand tabs' requests after one event.
    window.setTimeout(function () { pending[url] = "loading"; load(region, url); },
      50 + Math.floor(Math.random() * 250));
  }
  function finished(region, url) {
    delete pending[url];
    if (dirty[url]) { delete dirty[url]; schedule(region, url); }
  }
  function load(region, url) {
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        finished(region, url);
        show(region, html);
      })
      .catch(function () {
        finished(region, url);
        setStatus("Could not refresh part of the page; it will try again with the next change.");
      });
  }
  // Server-rendered (escaped) HTML for a region, from a fetch or pushed with an event.
  // What a control is, told apart from the region's other controls without an id: its tag,
  // name, value, text or link, and the form it is in (its action and hidden fields).
  var CONTROLS = "a[href], button, input, select, textarea, summary, [tabindex]";
  function signature(el) {
    var form = el.form || el.closest("form");
    var hidden = form ? Array.prototype.map.call(
      form.querySelectorAll("input[type=hidden]:not([name=csrfmiddlewaretoken])"),
      function (input) { return input.name + "=" + input.value; }).join("&") : "";
    return [el.tagName, el.getAttribute("type"), el.getAttribute("name"), el.getAttribute("value"),
      el.getAttribute("href"), (el.textContent || "").trim().slice(0, 80),
      form ? form.getAttribute("action") : "", hidden].join("|");
  }
  function alike(region, key) {
    return Array.prototype.filter.call(region.querySelectorAll(CONTROLS),
      function (el) { return signature(el) === key; });
  }
  function show(region, html) {
    var focused = document.activeElement;
    var inside = focused && focused !== region && region.contains(focused);
    var focusId = inside ? focused.id : null;
    var key = inside && !focusId ? signature(focused) : null;
    var nth = key ? alike(region, key).indexOf(focused) : -1;
    var caret = inside && focused.tagName === "TEXTAREA" ?
      [focused.selectionStart, focused.selectionEnd] : null;
    var typed = unsaved(region);
    var said = statuses(region);
    region.innerHTML = html;
    tidy(region);
    restore(typed);
    restoreStatuses(region, said);
    bindNotes();
    if (isConsole) { freshenNotesViews(); }
    markAway();
    var again = focusId ? document.getElementById(focusId) : null;
    if (!again && key) {
      // A control without an id (a form's button, a link): the same one in the new content.
      var same = alike(region, key);
      again = same[Math.max(0, Math.min(nth, same.length - 1))] || null;
    }
    if (again) {
      again.focus();
      if (caret && again.tagName === "TEXTAREA") { again.setSelectionRange(caret[0], caret[1]); }
    } else if (focused && focused !== document.body && !document.body.contains(focused)) {
      // The control in use went with the old content (a new segment, a closed room): put the
      // focus on the region's heading rather than letting it fall to the page.
      var section = region.closest("section");
      var heading = section && section.querySelector("h2");
      if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    }
    syncClock();
    syncRunsheetForms();
    tick();
    // For the activities' own scripts (purpose.js), which settle their state on new content.
    region.dispatchEvent(new CustomEvent("live:shown", { bubbles: true }));
  }
  // A group's region pushed over the socket is rendered once for the whole group: it lists
  // everyone (this reader's own entry comes out here) and its forms carry no CSRF token (the
  // page's is put in).
  function tidy(region) {
    if (me) {
      Array.prototype.forEach.call(region.querySelectorAll("[data-person='" + me + "']"),
        function (el) { el.parentNode.removeChild(el); });
    }
    var token = root.getAttribute("data-csrf");
    Array.prototype.forEach.call(region.querySelectorAll("input[name=csrfmiddlewaretoken]"),
      function (el) { if (!el.value && token) { el.value = token; } });
  }
  // What someone has typed or ticked in a region's forms but not sent survives the region
  // being re-rendered around it (another person's post must not wipe a half-written one).
  // Fields are matched by id; shared notes keep their own state (see bindNotes).
  function unsaved(region) {
    var kept = [];
    Array.prototype.forEach.call(region.querySelectorAll("textarea[id], input[id], select[id]"), function (el) {
      if (el.closest("[data-notes]")) { return; }
      if (el.tagName === "SELECT") {
        var chosen = el.options[el.selectedIndex];
        if (chosen && !chosen.defaultSelected) { kept.push([el.id, "value", el.value]); }
      } else if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked !== el.defaultChecked) { kept.push([el.id, "checked", el.checked]); }
      } else if (el.type !== "hidden" && el.value !== el.defaultValue) {
        kept.push([el.id, "value", el.value]);
      }
    });
    return kept;
  }
  // A status message a script has just put up (marked with data-said-at, e.g. "Room 1's
  // wording is added…") is not cut short when an event redraws its region a moment later: it
  // is put back into the same place (the status elements of the nearest element with an id),
  // if the server drew it empty.
  var FRESH_STATUS_MS = 5000;
  function statuses(region) {
    var kept = [];
    var now = Date.now();
    Array.prototype.forEach.call(region.querySelectorAll("[role=status][data-said-at]"), function (el) {
      var owner = el.parentElement ? el.parentElement.closest("[id]") : null;
      var fresh = now - Number(el.getAttribute("data-said-at")) < FRESH_STATUS_MS;
      if (!fresh || !owner || !region.contains(owner) || !el.textContent.trim()) { return; }
      var index = Array.prototype.indexOf.call(owner.querySelectorAll("[role=status]"), el);
      kept.push([owner.id, index, el.textContent]);
    });
    return kept;
  }
  function restoreStatuses(region, kept) {
    kept.forEach(function (item) {
      var owner = document.getElementById(item[0]);
      if (!owner || !region.contains(owner)) { return; }
      var el = owner.querySelectorAll("[role=status]")[item[1]];
      if (el && !el.textContent.trim()) { el.textContent = item[2]; }
    });
  }
  function restore(kept) {
    kept.forEach(function (item) {
      var el = document.getElementById(item[0]);
      if (el) { el[item[1]] = item[2]; }
    });
  }
  function refreshAll() {
    ["runsheet", "round", "presence", "activity"].forEach(function (topic) { refresh(topic); });
  }

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
    // Taken out by the facilitator (perhaps from the waiting list, with no group to name);
    // once out, others' changes are not this reader's until they are put back.
    var out = !!payload.taken_out && payload.taken_out.indexOf(me) !== -1;
    if (out) { var news = !takenOut; takenOut = true; myGroup = null; return news; }
    takenOut = false;
    for (var i = 0; i < payload.groups.length; i++) {
      var group = payload.groups[i];
      if (group.number === myGroup) { return true; }
      if (group.members.indexOf(me) !== -1) { myGroup = group.number; return true; }
    }
    return false;
  }
  function apply(event, notesText, html) {
    if (lastSeq !== null && event.seq <= lastSeq) { return; }
    lastSeq = event.seq;
    // "<activity>.<what>" events (workshop activities) re-fetch the activity region.
    var topic = TOPICS[event.kind] || (event.kind.indexOf(".") !== -1 ? "activity" : null);
    if (!topic) { return; }
    if (topic === "notes") { notesChanged(event.payload, notesText); return; }
    if (event.payload && event.payload.runsheet) { syncRunsheetForms(event.payload.runsheet); }
    if (event.kind === "rooms_message" && (me || isConsole)) {
      announce("Message from the facilitator to every room: " + event.payload.message);
    } else if (event.kind === "rooms_closing") {
      var closes = Date.parse(event.payload.closes_at);
      var seconds = Math.max(0, Math.round((closes - Date.now() - offsetMs) / 1000));
      announce(seconds > 0 ? "The rooms close in " + seconds + " seconds." : "The rooms have closed.");
      // Save what is typed just before the rooms close, and again at the closing time (the
      // server takes saves for a few seconds after it), then show the read-only notes: what
      // is still unsaved then goes on being saved there (see bindNotes).
      window.setTimeout(saveNotes, Math.max(0, seconds * 1000 - 1500));
      window.setTimeout(saveNotes, seconds * 1000);
      window.setTimeout(function () { refresh("round"); }, seconds * 1000 + 500);
    }
    // Whether the breakout groups were formed or changed (see regionsFor).
    var panels = false;
    if (event.kind === "round_started") {
      myGroup = groupOf(event.payload.round);
      takenOut = false;
      roundId = event.payload.round.id;
      roundKind = event.payload.round.kind;
      panels = roundKind === "breakout";
    } else if (event.kind === "round_ended") {
      myGroup = null;
      takenOut = false;
      roundId = roundKind = null;
    } else if (event.kind === "round_changed") {
      panels = roundKind !== "coffee";
    }
    if (event.kind === "round_changed" && me) {
      // Someone else's group changed: a participant's view is unaffected.
      if (!touchesMe(event.payload)) { return; }
      // Theirs did (someone joined or left it, or they were moved): say so, not only show it.
      announce(takenOut ? "The facilitator has taken you out of this round." :
        "Your group has changed: see who you are with now.");
    }
    if (topic === "presence" && !isConsole) { return; }
    var still = event.kind === "segment_extended" || (topic === "activity" && otherGroup(event.payload));
    // Regions sent with an event are the participants' view: a facilitator's look at this
    // page ("See what participants see") fetches its own, as the console does.
    refresh(topic, html && me ? html : undefined, panels, still);
  }
  // An activity event that names a group of the open round (`round`, and `group` its number:
  // a note on one group's empathy map) changes only that group's members' panels; the console,
  // a facilitator's look at this page and every other view of all the groups (data-topics) are
  // refreshed as usual.
  function otherGroup(payload) {
    return !!me && !!payload && roundId !== null && payload.round === roundId &&
      typeof payload.group === "number" && payload.group !== myGroup;
  }
  function receive(message) {
    if (message.type === "snapshot") {
      lastSeq = message.seq;
      myGroup = groupOf(message.state.round);
      roundId = message.state.round ? message.state.round.id : null;
      roundKind = message.state.round ? message.state.round.kind : null;
      refreshAll();
    } else if (message.type === "events") {
      // Replayed events come without pushed HTML or notes text: their regions are fetched.
      message.events.forEach(function (event) { apply(event); });
      lastSeq = Math.max(lastSeq === null ? 0 : lastSeq, message.seq);
    } else if (message.type === "event") {
      apply(message.event, message.notes, message.html);
    } else if (message.type === "notes.saved") {
      // With `text` when the server merged this save with others': the page shows that (the
      // room's event for this save is not sent to the tab that made it).
      forNotes(message.group, function () { notesSaved(message.group, message.rev, message.text); });
    } else if (message.type === "notes.conflict") {
      forNotes(message.group, function () {
        notesConflict(message.group, message.rev, message.text, message.message);
      });
    } else if (message.type === "error" && message.ref === "notes") {
      // A socket answers in the order it was sent to: a save still on its way from a room
      // left behind was sent before any of the room shown now.
      var first = Object.keys(leftBehind).filter(function (g) { return leftBehind[g].plainRef; })[0];
      if (first) {
        leftBehind[first].plainRef = false;
        forNotes(first, function () { notesFailed(message.message); });
      } else { notesFailed(message.message); }
    } else if (message.type === "error" && typeof message.ref === "string" &&
               message.ref.indexOf("notes-left-") === 0) {
      var group = message.ref.slice("notes-left-".length);
      forNotes(group, function () { notesFailed(message.message); });
    } else if (typeof message.ref === "string" && message.ref.indexOf("act-") === 0) {
      activityAnswer(message);
    } else if (typeof message.ref === "string" && message.ref.indexOf("cmd-") === 0) {
      commandAnswer(message);
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
      // Notes typed while the connection was down (their save over HTTP failed too) go now,
      // without waiting for another key: a save whose answer was lost goes again as it was
      // (same sid, so it is not applied twice); one still on its way is waited for.
      if (notes && (notes.unanswered || notes.area.value !== notes.saved)) { saveNotes(); }
      Object.keys(leftBehind).forEach(function (group) {
        var left = leftBehind[group];
        if (!left.sending) { forNotes(group, saveNotes); }
      });
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
      activitiesUnanswered();
      if (notes && notes.sending) {
        // Its answer is lost with the socket: send the same save again (same sid, so it is
        // not applied twice), over HTTP while disconnected.
        notes.sending = false;
        notes.unanswered = true;
        scheduleNotes();
      }
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
      // Numbers travel as numbers: number inputs, and other fields (a room's <select>) marked
      // data-int, as in the activity forms below.
      var numeric = field.type === "number" || field.hasAttribute("data-int");
      message[field.name] = numeric && /^-?[0-9]+$/.test(field.value) ? Number(field.value) : field.value;
    });
    // The same again while it is on its way (a double click) is not sent twice; the forms
    // also name the segment they act on, so the server refuses a repeat that gets through.
    var sending = JSON.stringify(message);
    if (form.liveSending === sending) { return; }
    form.liveSending = sending;
    commandCount += 1;
    message.ref = "cmd-" + commandCount;
    commandForms[message.ref] = form;
    setStatus("Sending…");
    socket.send(JSON.stringify(message));
  });
  var commandForms = {};
  var commandCount = 0;
  function commandAnswer(message) {
    var form = commandForms[message.ref];
    delete commandForms[message.ref];
    if (form) { form.liveSending = null; }
    if (message.runsheet) { syncRunsheetForms(message.runsheet); }
    if (form && message.type === "ok" && form.hasAttribute("data-clear")) {
      // A message sent to the rooms is not left ready to send again by mistake.
      Array.prototype.forEach.call(form.querySelectorAll("input[type=text], textarea"), function (field) {
        field.value = "";
        var again = field.id && document.getElementById(field.id);
        if (again && again !== field) { again.value = ""; }
      });
    }
    setStatus(message.type === "ok" ? message.message : "Not done: " + message.message);
  }
  // The console's run-sheet buttons act on the segments the run-sheet shows (data-runsheet-now
  // in its region): their forms say which, and Skip says what it would leave out.
  // The run-sheet comes from the region as drawn, or from a run-sheet state (a command's
  // answer, a run-sheet event), which comes before the region is fetched again: a quick next
  // click then names the segment that follows, not the one just started.
  var runsheetSeen = null;
  function syncRunsheetForms(state) {
    if (!isConsole) { return; }
    var shown;
    if (state) {
      var byId = {};
      (state.segments || []).forEach(function (item) { byId[item.id] = item; });
      var running = state.current ? byId[state.current] || {} : {};
      var upcoming = state.next ? byId[state.next] || {} : {};
      shown = { current: state.current || "", next: state.next || "",
        extended: String(running.extension_minutes || 0),
        currentTitle: running.title || "", nextTitle: upcoming.title || "" };
      runsheetSeen = shown;
    } else {
      var now = root.querySelector("[data-runsheet-now]");
      if (!now) { return; }
      shown = { current: now.getAttribute("data-current") || "",
        next: now.getAttribute("data-next") || "",
        extended: now.getAttribute("data-extended") || "0",
        currentTitle: now.getAttribute("data-current-title") || "",
        nextTitle: now.getAttribute("data-next-title") || "" };
      // A region fetched before the last state came may be older than it: the state stands
      // until a region agrees with it.
      if (runsheetSeen && (runsheetSeen.current !== shown.current ||
          runsheetSeen.next !== shown.next || runsheetSeen.extended !== shown.extended)) {
        return;
      }
      runsheetSeen = null;
    }
    var values = { current: shown.current, next: shown.next,
      skip: shown.current || shown.next, extended: shown.extended };
    Array.prototype.forEach.call(root.querySelectorAll("input[data-runsheet]"), function (input) {
      input.value = values[input.getAttribute("data-runsheet")] || "";
    });
    var title = shown.current ? shown.currentTitle : shown.nextTitle;
    Array.prototype.forEach.call(root.querySelectorAll("[data-runsheet-title]"), function (el) {
      el.textContent = title ? ": " + title : "";
    });
  }

  // --- Activity forms (posts, votes, drafts): over the socket when it is open, else they post.
  // Fields travel as text, except number inputs and fields marked data-int; empty ones are left
  // out. The answer comes back with the form's ref: success clears what was typed (the region
  // shows the result when its event arrives), an error is shown by the form and keeps the text.
  var activityForms = {};
  var activityCount = 0;
  function feedback(form, text) {
    var el = form && form.querySelector("[data-activity-feedback]");
    if (el && document.body.contains(el)) { el.textContent = text; } else { setStatus(text); }
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute || !form.hasAttribute("data-activity")) { return; }
    if (!socket || socket.readyState !== WebSocket.OPEN || !window.FormData) { return; }
    e.preventDefault();
    var message = {};
    var data = new FormData(form);
    data.forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken" || typeof value !== "string" || value === "") { return; }
      if (name === "action") { message.type = value; return; }
      var field = form.querySelector("[name='" + name + "']");
      var numeric = field && (field.type === "number" || field.hasAttribute("data-int"));
      message[name] = numeric && /^-?[0-9]+$/.test(value) ? Number(value) : value;
    });
    // The same again while it is on its way (a double click) is not sent twice.
    var sending = JSON.stringify(message);
    if (form.liveSending === sending) { return; }
    form.liveSending = sending;
    activityCount += 1;
    message.ref = "act-" + activityCount;
    activityForms[message.ref] = form;
    feedback(form, "Sending…");
    socket.send(JSON.stringify(message));
  });
  // The socket closed: answers still awaited will not come, so the forms may be sent again.
  function activitiesUnanswered() {
    Object.keys(activityForms).forEach(function (ref) { activityForms[ref].liveSending = null; });
    activityForms = {};
    Object.keys(commandForms).forEach(function (ref) { commandForms[ref].liveSending = null; });
    commandForms = {};
  }
  function activityAnswer(message) {
    var form = activityForms[message.ref];
    delete activityForms[message.ref];
    if (form) { form.liveSending = null; }
    if (message.type === "ok") {
      if (form && !form.hasAttribute("data-keep")) {
        // The region may have been re-rendered (keeping the sent text) before this answer came.
        Array.prototype.forEach.call(form.querySelectorAll("textarea, input[type=text]"), function (field) {
          field.value = "";
          var again = field.id && document.getElementById(field.id);
          if (again && again !== field) { again.value = ""; }
        });
      }
      feedback(form, message.message);
    } else {
      feedback(form, "Not done: " + message.message);
    }
  }

  // --- Shared notes: saved as you type (600 ms after the last key, at least every 3 s while
  // typing, on leaving the field and when the page goes away); the database is the source, so
  // the textarea always starts from the server's text. A save says which rev it was based on;
  // if others saved since, the server merges both (convenor.live.merge) and answers with the
  // merged text, and whatever was typed here meanwhile is merged into that the same way. Others'
  // saves arriving while someone types are merged in too, so the room sees one text.
  var NOTES_DELAY = 600;
  var NOTES_MAX_WAIT = 3000;
  var notes = null;
  // The notes' status line is not a live region: while people type it goes between "Unsaved
  // changes…" and "All changes saved." every few seconds, which a screen reader would read out
  // each time (the notes field names it as its description, so it is heard on arriving
  // there). What needs attention (not saved, a conflict, the rooms closing) is announced.
  function notesStatus(text, important) {
    if (notes && notes.status && notes.status.textContent !== text) { notes.status.textContent = text; }
    if (important && notes && !notes.left) { announce(text); }
  }
  // A redrawn notes form takes over what the one it replaces had typed, sent and been told.
  function carryOver(previous) {
    notes.rev = previous.rev; notes.saved = previous.saved;
    notes.area.value = previous.area.value;
    notes.sending = previous.sending;
    notes.sendingText = previous.sendingText;
    notes.unanswered = previous.unanswered;
    notes.sid = previous.sid;
    notes.later = previous.later;
  }
  function bindNotes() {
    var previous = notes;
    var form = root.querySelector("form[data-notes]");
    if (previous && previous.form !== form &&
        (!form || form.getAttribute("data-notes") !== previous.group)) {
      leaveBehind(previous);
    }
    if (!form) { notes = null; return; }
    if (previous && previous.form === form) { return; } // Another region was re-rendered.
    var area = form.querySelector("textarea");
    notes = {
      form: form, area: area, revField: form.querySelector("[data-notes-rev]"),
      status: form.querySelector("[data-notes-status]"), group: form.getAttribute("data-notes"),
      readOnly: form.hasAttribute("data-read-only"), timer: null, firstChange: null,
      sending: false, unanswered: false, sid: null, later: null, final: false
    };
    notes.rev = Number(notes.revField.value);
    notes.saved = area.value;
    if (previous) { window.clearTimeout(previous.timer); }
    if (previous && previous.group === notes.group && notes.readOnly &&
        previous.area.value !== previous.saved) {
      // The rooms closed with something typed here not yet saved (or its save on its way):
      // it stays shown and is saved now, based on what this page last had from the server
      // (the server merges it with the room's last changes and takes it for a few seconds
      // after the closing time). If it cannot be saved, the person is told to copy it.
      notes.final = true;
      carryOver(previous);
      notesStatus("The rooms have closed; saving your last changes…", true);
      saveNotes();
      return;
    }
    // A redraw rendered before a change this page already shows (a region fetched while
    // someone's save went through) keeps the newer text.
    if (previous && previous.group === notes.group && previous.area.value === previous.saved &&
        previous.rev > notes.rev) {
      showNotes(previous.saved, previous.rev);
      return;
    }
    // Keep what was typed but not yet saved when the region is re-rendered around it.
    if (previous && previous.group === notes.group && !notes.readOnly &&
        previous.area.value !== previous.saved) {
      if (previous.rev >= notes.rev) {
        carryOver(previous);
        scheduleNotes();
      } else {
        notesStatus("Someone else changed the notes meanwhile; the latest version is shown and your last change was not saved.", true);
      }
    }
  }
  function writable() { return notes && (!notes.readOnly || notes.final); }
  function scheduleNotes() {
    if (!writable()) { return; }
    if (notes.left) { saveNotes(); return; } // no more typing there: at once
    notesStatus("Unsaved changes…");
    var now = Date.now();
    if (notes.firstChange === null) { notes.firstChange = now; }
    window.clearTimeout(notes.timer);
    var wait = Math.min(NOTES_DELAY, Math.max(0, notes.firstChange + NOTES_MAX_WAIT - now));
    notes.timer = window.setTimeout(saveNotes, wait);
  }
  function notesForm(text) {
    var data = new FormData(notes.form);
    data.set("text", text);
    data.set("rev", String(notes.rev));
    if (notes.sid) { data.set("sid", notes.sid); }
    return data;
  }
  function saveNotes() {
    if (!writable()) { return; }
    window.clearTimeout(notes.timer);
    notes.firstChange = null;
    if (notes.sending) {
      // Left-behind notes go on when the answer comes (see notesSaved); the timer would
      // call this for the room now shown.
      if (!notes.left) { notes.timer = window.setTimeout(saveNotes, NOTES_DELAY); }
      return;
    }
    // A save whose answer was lost goes again as it was; what was typed since follows it.
    var text = notes.unanswered ? notes.sendingText : notes.area.value;
    if (text === notes.saved) { notesDone(); return; }
    if (!notes.unanswered) { notes.sid = newSid(); }
    notes.unanswered = false;
    notes.sending = true;
    notes.sendingText = text;
    if (socket && socket.readyState === WebSocket.OPEN) {
      var ref = notes.left ? "notes-left-" + notes.group : "notes";
      notes.plainRef = false;
      socket.send(JSON.stringify({ type: "notes.save", group: notes.group, text: text, rev: notes.rev, sid: notes.sid, ref: ref }));
      return;
    }
    var group = notes.group;
    fetch(notes.form.action, {
      method: "POST", credentials: "same-origin", body: notesForm(text),
      headers: { "Accept": "application/json", "X-Requested-With": "fetch" }
    }).then(function (response) {
      return response.json().then(function (body) {
        forNotes(group, function () {
          if (response.status === 200) { notesSaved(group, body.rev, body.text); }
          else if (response.status === 409) { notesConflict(group, body.rev, body.text, body.error); }
          else { notesFailed(body.error || "the server said no."); }
        });
      });
    }).catch(function () {
      // The save may or may not have reached the server: it goes again as it was (same sid)
      // when the connection is back (see the socket's open handler).
      forNotes(group, function () {
        if (notes && notes.group === group && notes.sending) { notes.unanswered = true; }
        notesFailed("no connection; it will be saved when the connection is back.", true);
      });
    });
  }
  // Everything typed here is saved.
  function notesDone() {
    if (notes.final) {
      notes.final = false;
      notesStatus("Read-only: the rooms have closed. Your last changes were saved.", true);
    } else if (!notes.readOnly) {
      notesStatus("All changes saved.");
    }
  }
  function newSid() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
  // The same merge as the server's (convenor/live/merge.py): the change from `base` to `mine`
  // moved past the splices that made `latest`; where they meet both additions stay, theirs
  // first, and nobody removes text added by a writer they had not seen.
  function spliceBetween(old, now) {
    var start = 0, limit = Math.min(old.length, now.length);
    while (start < limit && old.charCodeAt(start) === now.charCodeAt(start)) { start++; }
    var tail = 0;
    while (tail < limit - start &&
           old.charCodeAt(old.length - 1 - tail) === now.charCodeAt(now.length - 1 - tail)) { tail++; }
    return { at: start, removed: old.slice(start, old.length - tail), inserted: now.slice(start, now.length - tail) };
  }
  function rebaseParts(parts, over) {
    var overEnd = over.at + over.removed.length;
    var shift = over.inserted.length - over.removed.length;
    var theirsEnd = over.at + over.inserted.length;
    var moved = [];
    parts.forEach(function (p) {
      var start = p[0], end = p[1], inserted = p[2];
      if (end < over.at || (end === over.at && start < end)) { moved.push(p); }
      else if (start >= overEnd) { moved.push([start + shift, end + shift, inserted]); }
      else {
        if (start < over.at) { moved.push([start, over.at, ""]); }
        var rest = Math.max(0, end - overEnd);
        if (rest || inserted) { moved.push([theirsEnd, theirsEnd + rest, inserted]); }
      }
    });
    return moved;
  }
  function mergeText(latest, base, mine) {
    var edit = spliceBetween(base, mine);
    var parts = rebaseParts([[edit.at, edit.at + edit.removed.length, edit.inserted]], spliceBetween(base, latest));
    for (var i = parts.length - 1; i >= 0; i--) {
      latest = latest.slice(0, parts[i][0]) + parts[i][2] + latest.slice(parts[i][1]);
    }
    return latest;
  }
  // The room's text is now `text` at `rev`, based on `base` (what this page last had from the
  // server, or was sending): show it with anything typed here since merged in, keeping the caret.
  function mergeIn(text, rev, base) {
    var area = notes.area;
    var typed = area.value;
    var merged = typed === base ? text : mergeText(text, base, typed);
    if (merged !== typed) {
      var focused = document.activeElement === area;
      var start = area.selectionStart, end = area.selectionEnd;
      var change = spliceBetween(typed, merged);
      var move = function (at) {
        if (at <= change.at) { return at; }
        if (at >= change.at + change.removed.length) { return at + change.inserted.length - change.removed.length; }
        return change.at + change.inserted.length;
      };
      area.value = merged;
      if (focused) { area.setSelectionRange(move(start), move(end)); }
    }
    notes.saved = text;
    notes.rev = rev;
    notes.revField.value = String(rev);
  }
  function notesSaved(group, rev, text) {
    if (!notes || notes.group !== group) { return; }
    notes.sending = false;
    notes.plainRef = false;
    notes.sid = null;
    if (rev < notes.rev) { return; }
    if (text === notes.sendingText) { text = undefined; } // nothing merged into it
    if (typeof text === "string") {
      mergeIn(text, rev, notes.sendingText);
      notesStatus("Saved, together with changes from your room.");
    } else {
      notes.saved = notes.sendingText;
      notes.rev = rev;
      notes.revField.value = String(rev);
    }
    var later = notes.later;
    notes.later = null;
    if (later && later.rev > notes.rev) { mergeIn(later.text, later.rev, notes.saved); }
    if (notes.area.value !== notes.saved) { scheduleNotes(); }
    else if (typeof text !== "string" || notes.final) { notesDone(); }
  }

  // --- Notes left behind: the facilitator moved this person to another room, took them out
  // or ended the round while they were typing (or while a save was on its way). What they
  // typed is still saved to the room it was typed in (the server takes it for a few seconds
  // after: convenor.live.notes.CLOSING_GRACE), and they are told; if it cannot be, it is
  // shown for them to copy. Each such room's notes are kept here by group until then.
  var leftBehind = {};
  function leaveBehind(previous) {
    window.clearTimeout(previous.timer);
    if (previous.readOnly && !previous.final) { return; }
    if (!previous.sending && !previous.unanswered && previous.area.value === previous.saved) { return; }
    var room = previous.form.getAttribute("data-room");
    previous.left = true;
    previous.plainRef = previous.sending && !previous.unanswered; // its answer's ref is "notes"
    previous.where = room ? "room " + room + "'s notes" : "your last room's notes";
    leftBehind[previous.group] = previous;
    if (!previous.sending) { forNotes(previous.group, saveNotes); }
  }
  // Run `then` with `notes` standing for the group's notes: the room's shown now, else one left
  // behind (then told, or offered for copying, once its fate is known).
  function forNotes(group, then) {
    var left = leftBehind[group];
    if (!left || (notes && notes.group === group)) { then(); return; }
    var shown = notes;
    notes = left;
    try { then(); } finally { notes = shown; }
    if (left.failed) {
      delete leftBehind[group];
      offerCopy(left);
    } else if (!left.sending && !left.unanswered && left.area.value === left.saved) {
      delete leftBehind[group];
      var said = "What you typed last in " + left.where + " was saved there.";
      setStatus(said);
      announce(said);
    }
  }
  function offerCopy(left) {
    var box = document.createElement("div");
    box.className = "notes-left";
    box.setAttribute("role", "group");
    var id = "notes-left-" + left.group;
    var intro = document.createElement("p");
    intro.id = id + "-said";
    intro.textContent = "Not saved: " + left.failed + " What you typed last in " + left.where +
      " is below: copy it if you want to keep it.";
    var copy = document.createElement("textarea");
    copy.readOnly = true;
    copy.rows = 4;
    copy.value = left.area.value;
    copy.setAttribute("aria-labelledby", intro.id);
    var done = document.createElement("button");
    done.type = "button";
    done.className = "secondary";
    done.textContent = "Dismiss";
    done.addEventListener("click", function () { box.remove(); });
    box.setAttribute("aria-labelledby", intro.id);
    box.appendChild(intro);
    box.appendChild(copy);
    box.appendChild(done);
    var previousBox = document.getElementById(id);
    if (previousBox) { previousBox.remove(); }
    box.id = id;
    if (statusEl && statusEl.parentNode) { statusEl.parentNode.insertBefore(box, statusEl.nextSibling); }
    else { root.insertBefore(box, root.firstChild); }
    announce(intro.textContent);
  }
  function showNotes(text, rev) {
    var area = notes.area;
    var focused = document.activeElement === area;
    var start = area.selectionStart, end = area.selectionEnd;
    area.value = text;
    if (focused) { area.setSelectionRange(Math.min(start, text.length), Math.min(end, text.length)); }
    notes.saved = text;
    notes.rev = rev;
    notes.revField.value = String(rev);
  }
  // The common case of two people typing at once is both adding at the end: then our addition
  // goes after theirs. Anything else is last-writer-wins: the latest text is shown instead.
  function appendMerge(base, mine, theirs) {
    if (mine.length > base.length && mine.slice(0, base.length) === base &&
        theirs.slice(0, base.length) === base) {
      return theirs + mine.slice(base.length);
    }
    return null;
  }
  function notesConflict(group, rev, text, message) {
    if (!notes || notes.group !== group) { return; }
    notes.sending = false;
    notes.plainRef = false;
    notes.sid = null;
    if (text === notes.sendingText) {
      // Our own save, sent again after its answer was lost with the connection.
      notesSaved(group, rev);
      return;
    }
    var merged = appendMerge(notes.saved, notes.area.value, text);
    if (notes.left && merged === null) { notes.failed = message; return; }
    if (notes.final && merged === null) {
      // The rooms have closed: the typed text stays shown, to be copied.
      notes.final = false;
      notesStatus(message + " " + COPY_IT, true);
      return;
    }
    showNotes(text, rev);
    if (merged !== null) {
      notes.area.value = merged;
      scheduleNotes();
      notesStatus("Added your text after a change from your room; saving…");
      return;
    }
    notesStatus(message, true);
  }
  var COPY_IT = "The rooms have closed, so your last changes, still shown here, were not " +
    "saved: copy them now if you want to keep them.";
  // `retry`: the connection failed, and the save goes again when it is back.
  function notesFailed(message, retry) {
    if (!notes) { return; }
    notes.sending = false;
    if (notes.left && !retry) { notes.failed = message; return; }
    if (notes.final && !retry) {
      notes.final = false;
      notesStatus("Not saved: " + message + " " + COPY_IT, true);
      return;
    }
    notesStatus("Not saved: " + message, true);
  }
  function fetchNotes(group, then) {
    var url = root.getAttribute("data-notes-url") + "?group=" + encodeURIComponent(group);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body) { then(body.text, body.rev); } })
      .catch(function () { /* The next change or a reload shows it. */ });
  }
  // The console shows each room's notes at the newest rev it has heard of, including after its
  // groups are redrawn from a render that was made before the latest save.
  var roomNotes = {};
  function consoleNotes(group, text, rev) {
    var known = roomNotes[group];
    if (!known || rev > known.rev) { roomNotes[group] = { text: text, rev: rev }; }
    freshenNotesViews();
  }
  function freshenNotesViews() {
    Array.prototype.forEach.call(root.querySelectorAll("[data-notes-view]"), function (view) {
      var known = roomNotes[view.getAttribute("data-notes-view")];
      if (known && known.rev > Number(view.getAttribute("data-notes-rev") || 0)) {
        view.textContent = known.text;
        view.setAttribute("data-notes-rev", String(known.rev));
      }
    });
  }
  function notesChanged(payload, shared) {
    if (isConsole) {
      var view = root.querySelector("[data-notes-view='" + payload.group + "']");
      if (!view) { refresh("round"); return; }
      if (shared) { consoleNotes(payload.group, shared.text, shared.rev); return; }
      fetchNotes(payload.group, function (text, rev) { consoleNotes(payload.group, text, rev); });
      return;
    }
    if (!notes || notes.group !== payload.group || payload.notes.rev <= notes.rev) { return; }
    var update = function (text, rev) {
      // Someone else saved: show it, with whatever is typed here and not yet saved merged in.
      // While a save of ours is on its way, its answer comes first (it may already hold this).
      if (rev <= notes.rev) { return; }
      if (notes.sending || notes.unanswered) {
        if (!notes.later || rev > notes.later.rev) { notes.later = { text: text, rev: rev }; }
        return;
      }
      mergeIn(text, rev, notes.saved);
    };
    if (shared) { update(shared.text, shared.rev); } else { fetchNotes(payload.group, update); }
  }
  root.addEventListener("input", function (e) {
    if (notes && e.target === notes.area) { scheduleNotes(); }
  });
  // The field takes at most its maxlength; a paste that does not fit is cut short by the
  // browser without a word, so the person is told.
  root.addEventListener("paste", function (e) {
    if (!notes || e.target !== notes.area || !e.clipboardData) { return; }
    var area = notes.area, most = area.maxLength;
    var pasted = e.clipboardData.getData("text").replace(/\r\n/g, "\n");
    var kept = area.value.length - (area.selectionEnd - area.selectionStart);
    if (most > 0 && kept + pasted.length > most) {
      var fits = Math.max(0, most - kept);
      notesStatus("Only the first " + fits.toLocaleString("en-GB") + " of the " +
        pasted.length.toLocaleString("en-GB") + " characters pasted fit: the notes can be at most " +
        most.toLocaleString("en-GB") + " characters long.", true);
    }
  });
  root.addEventListener("focusout", function (e) {
    if (notes && e.target === notes.area) { saveNotes(); }
  });
  root.addEventListener("submit", function (e) {
    if (notes && e.target === notes.form) { e.preventDefault(); saveNotes(); }
  });
  // The edit that turns `sent` into `now`, made to `base` instead (`sent` is `base` with one
  // edit): null when the two edits overlap, so it cannot be told without `sent`.
  function editOfBase(base, sent, now) {
    var first = spliceBetween(base, sent), more = spliceBetween(sent, now);
    var firstEnd = first.at + first.inserted.length, moreEnd = more.at + more.removed.length;
    var shift = first.inserted.length - first.removed.length;
    var at;
    if (moreEnd <= first.at && !(more.removed.length === 0 && more.at === first.at && first.inserted)) {
      at = more.at;
    } else if (more.at >= firstEnd) {
      at = more.at - shift;
    } else {
      return null;
    }
    return base.slice(0, at) + more.inserted + base.slice(at + more.removed.length);
  }
  function beacon(text, sid) {
    var data = notesForm(text);
    if (sid) { data.set("sid", sid); } else { data.delete("sid"); }
    navigator.sendBeacon(notes.form.action, data);
  }
  window.addEventListener("pagehide", function () {
    if (!writable() || !navigator.sendBeacon) { return; }
    // The socket may not get the message out while the page goes; a beacon does. Whatever
    // differs from what the server last acknowledged goes, even with a save on its way.
    var text = notes.area.value;
    if (!notes.sending && !notes.unanswered) {
      if (text !== notes.saved) { beacon(text, newSid()); }
      return;
    }
    // A save is on its way (its answer may never come): it goes again as it was (same sid, so
    // it is applied once, whichever arrives first), and what was typed since goes as its own
    // edit of the same base, so the server merges it in whether the first is in or not.
    var sent = notes.sendingText;
    if (text === sent) { beacon(sent, notes.sid); return; }
    var extra = editOfBase(notes.saved, sent, text);
    if (extra === null) { beacon(text, notes.sid); return; }
    beacon(sent, notes.sid);
    beacon(extra, newSid());
  });
  bindNotes();

  // --- Countdowns --------------------------------------------------------------------------
  // Each region says the server's time when it was rendered. How far this device's clock is
  // off is read from regions as they arrive, never again later: a region shown for a while
  // says an old time, and reading it as now would make every countdown run late by its age.
  // A region's time is a little before it arrived (its trip here), so of the readings of the
  // last minutes the one that puts the server latest is the closest.
  var clockReadings = [];
  var CLOCK_READINGS_MS = 5 * 60 * 1000;
  function syncClock() {
    var now = Date.now();
    Array.prototype.forEach.call(root.querySelectorAll("[data-server-now]"), function (el) {
      if (el.liveClockRead) { return; }
      el.liveClockRead = true;
      var server = Date.parse(el.getAttribute("data-server-now"));
      if (!isNaN(server)) { clockReadings.push({ at: now, offset: server - now }); }
    });
    clockReadings = clockReadings.filter(function (r) { return now - r.at <= CLOCK_READINGS_MS; });
    if (clockReadings.length) {
      offsetMs = Math.max.apply(null, clockReadings.map(function (r) { return r.offset; }));
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
      var said = announced[key];
      if (!said) {
        // A countdown seen for the first time (the page loaded, or its region was redrawn
        // with a new one): moments already past are not announced, only those reached while
        // it is on the page (a 3-minute segment does not say "Five minutes left").
        said = announced[key] = { five: left <= 300, one: left <= 60, up: left <= 0 };
      }
      // Only at moments worth interrupting for; never every second.
      if (left <= 0 && !said.up) { said.up = said.one = said.five = true; announce("Time is up for " + label + "."); }
      else if (left <= 60 && left > 0 && !said.one) { said.one = said.five = true; announce("One minute left for " + label + "."); }
      else if (left <= 300 && left > 60 && !said.five) { said.five = true; announce("Five minutes left for " + label + "."); }
    });
    replan(now);
  }
  // What is pending starts no earlier than now (as the server plans it when it draws the
  // run-sheet): while a segment runs over, its "N min over" line and the times of what follows
  // move on minute by minute here, without asking the server (a thousand tabs would).
  var clockFormats = {};
  function clockText(ms, zone) {
    var format = clockFormats[zone];
    if (!format) {
      format = clockFormats[zone] = new Intl.DateTimeFormat("en-GB",
        { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone });
    }
    return format.format(new Date(ms));
  }
  function replan(now) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-replan-tz]"), function (box) {
      var zone = box.getAttribute("data-replan-tz");
      var times = box.querySelectorAll("time[data-replan]");
      var from = Infinity;
      Array.prototype.forEach.call(times, function (el) {
        from = Math.min(from, Date.parse(el.getAttribute("data-replan")));
      });
      var shift = isFinite(from) ? Math.max(0, now - from) : 0;
      Array.prototype.forEach.call(times, function (el) {
        var at = Date.parse(el.getAttribute("data-replan")) + shift;
        var text;
        try { text = clockText(at, zone); } catch (e) { return; }  // an unknown time zone
        if (el.textContent !== text) {
          el.textContent = text;
          el.setAttribute("datetime", new Date(at).toISOString());
        }
      });
      Array.prototype.forEach.call(box.querySelectorAll("[data-over-since]"), function (el) {
        var over = now - Date.parse(el.getAttribute("data-over-since"));
        var minutes = Math.floor(over / 60000);
        var said = minutes > 0 ? minutes + " min over" : "over time";
        if (el.hasAttribute("data-over-cell")) {
          var cell = over > 0 ? ", " + said : "";
          if (el.textContent !== cell) { el.textContent = cell; }
          return;
        }
        el.hidden = !(over > 0);
        var strong = el.querySelector("[data-over-text]");
        if (strong && over > 0 && strong.textContent !== "Running " + said) {
          strong.textContent = "Running " + said;
        }
      });
    });
  }
  // --- Console: who in a group has no connection (during the minute they keep their place) ---
  // The group cards list members, "Who is here" lists who is connected (refreshed on presence
  // events); a member missing from the second is marked on the first.
  function markAway() {
    if (!isConsole) { return; }
    var here = {};
    Array.prototype.forEach.call(root.querySelectorAll("[data-here]"), function (el) {
      here[el.getAttribute("data-here")] = true;
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-member]"), function (el) {
      var tag = el.querySelector("[data-away]");
      if (tag) { tag.hidden = !!here[el.getAttribute("data-member")]; }
    });
  }
  markAway();

  // Thresholds already passed when a page loads are not announced (see tick).
  syncClock();
  syncRunsheetForms();
  tick();
  window.setInterval(tick, 1000);
  connect();
})();
