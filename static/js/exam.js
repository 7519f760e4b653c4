// Written exam and course assessment enhancements. Both work without this script (each "Save and
// next" or "Save answers" posts the form); with it, every answer is saved the moment it is chosen,
// kept in a local buffer until the server confirms it, and re-sent after a dropped connection. Each
// save carries a sequence number, so a late retry never overwrites a newer answer on the server (the
// written exam checks it).
// The form carries data-autosave, data-attempt and data-save-url; each question sits in an element
// with data-item (the exam's form itself, one question a page; a fieldset per question of an
// assessment); a question's checked inputs other than "flagged" are its choice.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  var timer = document.querySelector("[data-deadline]");
  var status = document.getElementById("save-status");
  var csrf = document.querySelector("input[name=_csrf]");

  // ---- timer, synchronised to the server clock; announced only at thresholds ----
  if (timer) {
    var deadline = Date.parse(timer.getAttribute("data-deadline"));
    var offset = Date.parse(timer.getAttribute("data-server-now")) - Date.now();
    var live = document.getElementById("timer-announce");
    var announced = {};
    var clock = timer.querySelector("[data-clock]");
    var tick = function () {
      var left = Math.max(0, deadline - (Date.now() + offset));
      var m = Math.floor(left / 60000), s = Math.floor((left % 60000) / 1000);
      clock.textContent = m + ":" + (s < 10 ? "0" : "") + s;
      [30, 10, 5, 1].forEach(function (t) {
        if (m < t && !announced[t] && left > 0) {
          announced[t] = true;
          if (live && m === t - 1) { live.textContent = t + (t === 1 ? " minute" : " minutes") + " left."; }
        }
      });
      if (left === 0) {
        if (live) { live.textContent = "Time is up. Your saved answers are being submitted."; }
        clearInterval(iv);
        setTimeout(function () { window.location.href = timer.getAttribute("data-result-url"); }, 1500);
      }
    };
    // Do not announce thresholds already passed when the page loads.
    (function () {
      var left = deadline - (Date.now() + offset), m = Math.floor(left / 60000);
      [30, 10, 5, 1].forEach(function (t) { if (m < t - 1) { announced[t] = true; } });
    })();
    var iv = setInterval(tick, 1000);
    tick();
  }

  if (!form || !window.fetch || !window.JSON) { return; }
  var attempt = form.getAttribute("data-attempt");
  var url = form.getAttribute("data-save-url");
  var key = "peeracademy-exam-" + attempt;
  var counter = 0;
  var nextSeq = function () { counter += 1; return Date.now() * 1000 + (counter % 1000); };
  var load = function () { try { return JSON.parse(localStorage.getItem(key) || "{}"); } catch (e) { return {}; } };
  var store = function (p) { try { localStorage.setItem(key, JSON.stringify(p)); } catch (e) { /* private mode: memory only */ } };
  var pending = load();
  var say = function (t) { if (status) { status.textContent = t; } };

  var send = function (item) {
    var entry = pending[item];
    if (!entry) { return Promise.resolve(); }
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf ? csrf.value : "", "Accept": "application/json" },
      body: JSON.stringify({ item_id: item, choice: entry.choice, flagged: entry.flagged, seq: entry.seq })
    }).then(function (r) {
      if (r.ok) {
        if (pending[item] && pending[item].seq === entry.seq) { delete pending[item]; store(pending); }
        // Only when nothing else is on its way: another answer's save may still be in flight.
        say(Object.keys(pending).length === 0 ? "All answers saved." : "Saving…");
        return;
      }
      return r.json().then(function (body) {
        var msg = body && body.error ? body.error.message : "Could not save.";
        if (r.status === 410 || r.status === 403 || r.status === 409) {
          delete pending[item]; store(pending); say(msg);
          if (timer) { window.location.href = timer.getAttribute("data-result-url"); }
        } else { say(msg + " Retrying…"); }
      });
    }).catch(function () { say("Connection lost: your answers are kept on this device and will be sent when it is back."); });
  };
  var flush = function () { Object.keys(pending).forEach(send); };

  form.addEventListener("change", function (ev) {
    var scope = ev.target.closest ? ev.target.closest("[data-item]") : null;
    if (!scope) { return; }
    var item = scope.getAttribute("data-item");
    var choice = [];
    Array.prototype.forEach.call(scope.querySelectorAll("input:checked:not([name=flagged])"), function (el) { choice.push(parseInt(el.value, 10)); });
    var flag = scope.querySelector("input[name=flagged]");
    pending[item] = { choice: choice, flagged: !!(flag && flag.checked), seq: nextSeq() };
    store(pending);
    say("Saving…");
    send(item);
  });
  window.addEventListener("online", flush);
  setInterval(flush, 5000);
  flush();
})();
