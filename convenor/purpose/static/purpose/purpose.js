// Common purpose builder (loaded on every live page; regions are re-rendered, so listen on document).
// - The live word count of a draft's three fields, announced politely only when it crosses the limit.
// - A draft's save carries the rev its editor started from, so a groupmate's newer save is never
//   overwritten unseen (live.js re-renders the region with the newest rev under the typing);
//   what was typed and not saved is kept, field by field, over a groupmate's newer version.
(function () {
  "use strict";

  // One definition of a word, the same as convenor.purpose.actions.count_words (Python's
  // str.split()): a run of characters between whitespace.
  function countWords(text) {
    var trimmed = text.trim();
    return trimmed ? trimmed.split(/\s+/).length : 0;
  }
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  function fields(form) { return form.querySelectorAll("[data-purpose-field]"); }
  // The fields as the server stores them (trimmed), to tell a saved text from an unsaved one.
  function texts(form, which) {
    var out = [];
    each(fields(form), function (field) { out.push(field[which].replace(/\r\n/g, "\n").trim()); });
    return out;
  }
  function values(form, which) { return texts(form, which).join("\u0000"); }
  // data-said-at: live.js puts a message said just now back if an event redraws the region.
  function say(el, text) {
    if (el && el.textContent !== text) {
      el.textContent = text;
      if (el.getAttribute("role") === "status") { el.setAttribute("data-said-at", String(Date.now())); }
    }
  }
  function draftForm(el) {
    return el && el.closest ? el.closest("form[data-purpose-words]") : null;
  }

  function update(form, announce) {
    var limit = Number(form.getAttribute("data-purpose-words"));
    var words = 0;
    each(fields(form), function (field) { words += countWords(field.value); });
    var over = words > limit;
    var count = form.querySelector("[data-purpose-count]");
    if (count) {
      say(count, words + " of " + limit + " words" + (over ? ": " + (words - limit) + " over the limit" : ""));
      count.classList.toggle("purpose-over", over);
    }
    // Only a crossing is announced: a screen reader is not interrupted on every key.
    var was = form.hasAttribute("data-purpose-over");
    if (over === was) { return; }
    if (over) { form.setAttribute("data-purpose-over", ""); } else { form.removeAttribute("data-purpose-over"); }
    if (announce) {
      say(form.querySelector("[data-purpose-announce]"), over ?
        "Over the " + limit + "-word limit: " + words + " words." :
        "Back within the " + limit + "-word limit.");
    }
  }

  // Form id → the draft being edited (its group), the rev the person started editing from, and
  // the texts of their last save.
  var editing = {};
  function groupOf(form) {
    var group = form.querySelector("input[name=group]");
    return group ? group.value : "";
  }
  document.addEventListener("input", function (e) {
    var form = draftForm(e.target);
    if (!form) { return; }
    update(form, true);
    var rev = form.querySelector("[data-purpose-rev]");
    if (rev && form.id && !editing[form.id]) {
      editing[form.id] = { rev: rev.defaultValue, sent: null, group: groupOf(form),
        base: texts(form, "defaultValue") };
    }
  });
  // Capture phase: runs before live.js sends the form.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-purpose-words]")) { return; }
    var rev = form.querySelector("[data-purpose-rev]");
    var state = editing[form.id];
    if (rev && state) { rev.value = state.rev; state.sent = values(form, "value"); }
  }, true);

  // After a region is re-rendered (live.js has put back what was typed): recount, and settle
  // where each draft being edited stands against the newly saved version.
  function settle() {
    showCopyButtons();
    each(document.querySelectorAll("form[data-purpose-words]"), function (form) {
      update(form, false);
      var sources = form.querySelector("[data-purpose-sources]");
      if (sources && values(form, "value") === values(form, "defaultValue")) { sources.value = ""; }
      var state = editing[form.id];
      var rev = form.querySelector("[data-purpose-rev]");
      if (!state || !rev) { return; }
      var saved = values(form, "defaultValue");
      if (values(form, "value") === saved) { delete editing[form.id]; return; }
      if (state.group !== groupOf(form)) {
        // Another room's draft now (a new breakout round): what was typed stays, to save or
        // clear, and is edited from this draft's version.
        editing[form.id] = { rev: rev.defaultValue, sent: null, group: groupOf(form),
          base: texts(form, "defaultValue") };
        return;
      }
      if (rev.defaultValue === state.rev) { return; }
      if (state.sent === saved) {
        state.rev = rev.defaultValue; state.sent = null; state.base = texts(form, "defaultValue");
        return;
      }
      // Someone else saved meanwhile. Field by field, as the rooms' notes keep everyone's
      // typing: a field changed only there shows their text, one changed only here keeps what
      // was typed; one changed in both keeps what was typed, and says what theirs was.
      var clashes = [];
      var theirs = texts(form, "defaultValue");
      var i = 0;
      each(fields(form), function (field) {
        var base = state.base ? state.base[i] : field.defaultValue.trim();
        var mine = field.value.replace(/\r\n/g, "\n").trim();
        if (mine === base) { field.value = field.defaultValue; }
        else if (theirs[i] !== base && theirs[i] !== mine) {
          var label = field.labels && field.labels[0] ? field.labels[0].textContent.trim() : field.name;
          clashes.push("“" + label + "” (theirs: “" + theirs[i] + "”)");
        }
        i += 1;
      });
      state.rev = rev.defaultValue;
      state.sent = null;
      state.base = theirs;
      update(form, false);
      if (values(form, "value") === saved) { delete editing[form.id]; }
      // Said once, where it is seen (a second status line would be read out twice).
      say(form.querySelector("[data-activity-feedback]"), clashes.length ?
        "Someone in your group saved a new version meanwhile, changing what you are changing: " +
          clashes.join("; ") + ". Your text is kept here: save it to use it." :
        "Someone in your group saved a new version meanwhile: it is shown, with your unsaved " +
          "change kept. Save to add it.");
    });
  }
  // Facilitators: add a shared draft's wording to the cohort draft's editor (a merge starts from
  // one or more drafts); the ids go with the save, so the record says where it came from.
  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("[data-purpose-copy]") : null;
    var form = document.getElementById("purpose-merge-form");
    if (!button || !form) { return; }
    ["what", "why", "benefits"].forEach(function (name) {
      var field = form.querySelector("[name='" + name + "']");
      var text = button.getAttribute("data-" + name);
      if (field && text) { field.value = field.value.trim() ? field.value.trim() + " " + text : text; }
    });
    var sources = form.querySelector("[data-purpose-sources]");
    var id = button.getAttribute("data-purpose-copy");
    if (sources && (" " + sources.value + " ").indexOf(" " + id + " ") === -1) {
      sources.value = (sources.value + " " + id).trim();
    }
    update(form, true);
    say(form.querySelector("[data-purpose-announce]"),
      "Room " + button.getAttribute("data-number") + "'s wording is added to the cohort's draft below.");
  });
  function showCopyButtons() {
    if (!document.getElementById("purpose-merge-form")) { return; }
    each(document.querySelectorAll("[data-purpose-copy][hidden]"), function (button) {
      button.removeAttribute("hidden");
    });
  }

  // live.js says when it has shown new content: a whole region, or one panel pushed with a
  // breakout round's groups.
  document.addEventListener("live:shown", settle);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showCopyButtons);
  } else {
    showCopyButtons();
  }
})();
