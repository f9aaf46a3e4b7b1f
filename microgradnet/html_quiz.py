"""The quiz of the HTML stepper (predict, then reveal): its panel, style and script.

A frame with a question first shows the graph before its step and the question, one input per
number asked (a label element and an aria-label naming it: "∂L/∂x +="); the answer is checked
in the page, then the frame shows the step's picture and arithmetic. The page only compares
numbers (``quiz``: each answer's range counted right, each usual mistake's range, all computed
in Python when the page is made): a typed answer is read as a decimal number by a regular
expression and Number(), never evaluated; anything else gets a message. A wrong number gets the
one mistake whose range holds it (none when several do); "hint" shows the local derivative and
the upstream gradient (the operation, forward), "reveal" the answer. The count of right answers
is kept, and the answers typed survive a reload of the page (localStorage, keyed by the
stepper's id and its place among equal steppers on the page; where storage is unavailable the
quiz works and says that nothing is kept). Keyboard: Tab to an input, Enter checks it, and once
a frame is answered the focus goes to "next", whose Enter goes on to the next question.

This is practice, not an exam: the answers are in the page, and the page says so.
"""

from __future__ import annotations

from .quiz import MAX_ANSWER

PRACTICE_NOTE = "Practice, not an exam: the answers are in this page."
NOT_KEPT = "Your answers are not kept when the page is reloaded (no local storage here)."

QUIZ_PANEL = f"""<div class="mgn-quiz" hidden>
<div class="mgn-asks"></div>
<div class="mgn-buttons"><button type="button" class="mgn-check" title="check the answers typed \
(Enter in an answer checks it)">check</button>
<button type="button" class="mgn-hint-me" title="the numbers to combine">hint</button>
<button type="button" class="mgn-reveal" title="show the answers">reveal</button></div>
<div class="mgn-hint"></div>
<div class="mgn-said" role="status" aria-live="polite"></div>
<div class="mgn-foot"><span class="mgn-score"></span>
<button type="button" class="mgn-restart" title="forget every answer">start over</button></div>
<div class="mgn-note">{PRACTICE_NOTE}</div>
</div>"""

QUIZ_CSS = """
.mgn-stepper.mgn-quizzing { --above: 310px; }
.mgn-stepper .mgn-row { display: flex; gap: 0.5em; flex-wrap: wrap; }
.mgn-stepper .mgn-row > .mgn-text { flex: 1 1 16em; height: 12.2em; box-sizing: border-box; }
.mgn-stepper .mgn-quiz { flex: 2 1 28em; height: 12.2em; overflow: auto; font-size: 0.9em;
  border: 1px solid #ddd; padding: 0.3em; box-sizing: border-box; }
.mgn-stepper .mgn-quiz[hidden] { display: none; }
.mgn-stepper .mgn-asks { display: flex; flex-wrap: wrap; gap: 0.2em 1.2em; }
.mgn-stepper .mgn-ask label { white-space: nowrap; }
.mgn-stepper .mgn-ask input { width: 7em; margin-left: 0.3em; font: inherit; }
.mgn-stepper .mgn-ask[data-state="right"] input { border-color: #2e7d32; background: #e8f5e9; }
.mgn-stepper .mgn-ask[data-state="shown"] input { border-color: #777; background: #eee; }
.mgn-stepper .mgn-ask[data-state="wrong"] input,
.mgn-stepper .mgn-ask[data-state="bad"] input { border-color: #c62828; background: #ffebee; }
.mgn-stepper .mgn-feedback { display: block; font-size: 0.92em; color: #333; }
.mgn-stepper .mgn-buttons { margin: 0.3em 0; }
.mgn-stepper .mgn-hint { color: #1a4d8f; }
.mgn-stepper .mgn-said { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
.mgn-stepper .mgn-foot { display: flex; gap: 1em; align-items: center; margin-top: 0.2em; }
.mgn-stepper .mgn-score { font-weight: bold; }
.mgn-stepper .mgn-note { color: #666; font-size: 0.9em; }
"""

# Inserted into the stepper's start(root): it sets `quiz`, which show() and play consult.
# Everything typed is read by parse() alone: a regular expression, then Number(); nothing
# typed is evaluated or written as markup (textContent only).
QUIZ_JS = """
    quiz = makeQuiz();
    function makeQuiz() {
      var panel = q(".mgn-quiz"), asks = q(".mgn-asks"), hint = q(".mgn-hint");
      var said = q(".mgn-said"), score = q(".mgn-score");
      var check = q(".mgn-check"), hintMe = q(".mgn-hint-me"), reveal = q(".mgn-reveal");
      var DONE = {right: 1, shown: 1}, STATES = ["", "bad", "wrong", "right", "shown"];
      var NUMBER = /^[+-]?(\\d+\\.?\\d*|\\.\\d+)(e[+-]?\\d+)?$/i, LONGEST = MAX_ANSWER;
      var store = storage(), key = "microgradnet-quiz/" + root.id + "/" + place();
      var state = load(), rows = [], drawn = -1, total = 0;
      data.frames.forEach(function (f) { if (f.q) { total += f.q.a.length; } });
      root.classList.add("mgn-quizzing");
      panel.hidden = false;
      if (store === null) { q(".mgn-note").textContent += " " + NOT_KEPT_TEXT; }
      check.addEventListener("click", function () { checkFrame(); });
      hintMe.addEventListener("click", function () { state.h[i] = 1; save(); drawHints(i); });
      reveal.addEventListener("click", function () { revealFrame(); });
      q(".mgn-restart").addEventListener("click", function () {
        state = {f: 0, a: {}, h: {}};
        drawn = -1;
        said.textContent = "all answers forgotten";
        show(0);
      });
      return {open: open, show: draw, first: state.f, focus: focusFirst};

      function place() {  // equal steppers on one page keep their own answers
        var all = document.querySelectorAll(".mgn-stepper"), n = 0;
        for (var k = 0; k < all.length && all[k] !== root; k++) {
          if (all[k].id === root.id) { n += 1; }
        }
        return n;
      }
      function storage() {
        try {
          var s = window.localStorage, probe = "microgradnet-quiz-probe";
          s.setItem(probe, "1");
          s.removeItem(probe);
          return s;
        } catch (e) { return null; }
      }
      function load() {  // what was kept, if it fits this quiz; anything else is dropped
        var out = {f: 0, a: {}, h: {}}, got = null;
        try {
          got = store === null ? null : JSON.parse(store.getItem(key));
        } catch (e) { got = null; }
        if (!got || typeof got !== "object") { return out; }
        if (got.f === Math.floor(got.f) && got.f >= 0 && got.f <= last) { out.f = got.f; }
        data.frames.forEach(function (f, fi) {
          if (!f.q) { return; }
          if (got.h && got.h[fi] === 1) { out.h[fi] = 1; }
          f.q.a.forEach(function (a, ai) {
            var e = got.a ? got.a[fi + "." + ai] : null;
            if (e && STATES.indexOf(e.s) >= 0 && typeof e.t === "string") {
              out.a[fi + "." + ai] = {s: e.s, t: e.t.slice(0, LONGEST), n: +e.n || 0};
            }
          });
        });
        return out;
      }
      function save() {
        state.f = i;
        if (store === null) { return; }
        try { store.setItem(key, JSON.stringify(state)); } catch (e) { /* full: not kept */ }
      }
      function entry(fi, ai) {
        var k = fi + "." + ai;
        if (!state.a[k]) { state.a[k] = {s: "", t: "", n: 0}; }
        return state.a[k];
      }
      function open(fi) {
        var f = data.frames[fi];
        return !!f.q && f.q.a.some(function (a, ai) { return !DONE[entry(fi, ai).s]; });
      }
      function parse(text) {
        var s = String(text).trim().replace(/\\u2212/g, "-");
        if (s === "") { return {error: "type a number first"}; }
        if (/^[+-]?\\d+,\\d+$/.test(s)) {
          return {error: "write the decimal point as a point: " + s.replace(",", ".")};
        }
        if (s.length > LONGEST || !NUMBER.test(s)) {
          return {error: "not a number: type a number such as 42, -0.5 or 1.5e-3 (no formulas)"};
        }
        var x = Number(s);
        return isFinite(x) ? {value: x} : {error: "too large: type a finite number"};
      }
      function diagnosis(a, x) {
        var found = a.m.filter(function (m) { return m[0] <= x && x <= m[1]; });
        return found.length === 1 ? found[0][2] : null;
      }
      function message(a, e) {
        if (e.s === "right") { return "\\u2713 right: " + a.a; }
        if (e.s === "shown") { return "revealed: " + a.a; }
        if (e.s === "bad") { return "\\u2717 " + parse(e.t).error; }
        if (e.s !== "wrong") { return ""; }
        var d = diagnosis(a, parse(e.t).value);
        return "\\u2717 not right" + (d ? ": it looks like " + d : "") + ". Try again.";
      }
      function element(tag, cls, text) {
        var el = document.createElement(tag);
        if (cls) { el.className = cls; }
        if (text) { el.textContent = text; }
        return el;
      }
      function row(fi, ai, a) {
        var e = entry(fi, ai), div = element("div", "mgn-ask"), label = element("label");
        var input = element("input", "mgn-answer"), out = element("span", "mgn-feedback");
        input.type = "text";
        input.setAttribute("inputmode", "decimal");
        input.setAttribute("autocomplete", "off");
        input.setAttribute("spellcheck", "false");
        input.setAttribute("aria-label", a.n);
        input.maxLength = LONGEST;
        input.addEventListener("keydown", function (ev) {
          if (ev.key !== "Enter") { return; }
          ev.preventDefault();
          ev.stopPropagation();
          answer(fi, ai);
        });
        input.addEventListener("input", function () { entry(fi, ai).t = input.value; save(); });
        label.appendChild(element("span", "mgn-label", a.l));
        label.appendChild(input);
        div.appendChild(label);
        div.appendChild(out);
        var r = {div: div, input: input, out: out};
        rows[ai] = r;
        input.value = e.s === "shown" ? a.v : e.t;
        update(fi, ai);
        return div;
      }
      function update(fi, ai) {
        var a = data.frames[fi].q.a[ai], e = entry(fi, ai), r = rows[ai];
        r.div.setAttribute("data-state", e.s || "open");
        r.input.readOnly = !!DONE[e.s];
        r.out.textContent = message(a, e);
      }
      function draw(fi) {  // the panel for frame fi (called by show)
        var f = data.frames[fi];
        if (drawn !== fi || !open(fi)) {
          drawn = fi;
          rows = [];
          asks.textContent = "";
          if (f.q) {
            f.q.a.forEach(function (a, ai) { asks.appendChild(row(fi, ai, a)); });
          } else {
            asks.appendChild(element("span", "mgn-none", "Nothing to answer here: go on."));
          }
        }
        [check, hintMe, reveal].forEach(function (b) { b.disabled = !open(fi); });
        drawHints(fi);
        tally();
        save();
      }
      function drawHints(fi) {
        var f = data.frames[fi];
        hint.textContent = "";
        if (!f.q || !state.h[fi] || !open(fi)) { return; }
        f.q.a.forEach(function (a, ai) {
          if (!DONE[entry(fi, ai).s]) { hint.appendChild(element("div", "", "hint: " + a.h)); }
        });
        said.textContent = hint.textContent;
      }
      function tally() {
        var right = 0, shown = 0;
        Object.keys(state.a).forEach(function (k) {
          if (state.a[k].s === "right") { right += 1; }
          if (state.a[k].s === "shown") { shown += 1; }
        });
        score.textContent = "right: " + right + " of " + total +
          (shown ? " \\u00b7 revealed: " + shown : "");
        root.setAttribute("data-right", String(right));
        root.setAttribute("data-revealed", String(shown));
      }
      function grade(fi, ai) {  // reads the answer typed: right, wrong, or not a number
        var a = data.frames[fi].q.a[ai], e = entry(fi, ai);
        e.t = rows[ai].input.value.slice(0, LONGEST);
        var got = parse(e.t);
        if (got.error !== undefined) { e.s = "bad"; return; }
        e.n += 1;
        e.s = a.r[0] <= got.value && got.value <= a.r[1] ? "right" : "wrong";
      }
      function answer(fi, ai) {
        if (DONE[entry(fi, ai).s]) { return; }
        grade(fi, ai);
        after(fi, [ai]);
      }
      function after(fi, changed) {
        changed.forEach(function (ai) { update(fi, ai); });
        said.textContent = changed.map(function (ai) {
          return rows[ai].out.textContent;
        }).join(" ");
        if (!open(fi)) {
          show(fi);  // answered: the step's picture and arithmetic
          (i < last ? q(".mgn-next") : root).focus();
          return;
        }
        tally();
        save();
        var latest = changed[changed.length - 1];
        if (DONE[entry(fi, latest).s]) { focusFirst(); }
      }
      function checkFrame() {
        var changed = [];
        data.frames[i].q.a.forEach(function (a, ai) {
          if (!DONE[entry(i, ai).s] && rows[ai].input.value.trim() !== "") {
            grade(i, ai);
            changed.push(ai);
          }
        });
        if (changed.length === 0) {
          said.textContent = "type a number first";
          return;
        }
        after(i, changed);
      }
      function revealFrame() {
        var changed = [];
        data.frames[i].q.a.forEach(function (a, ai) {
          if (!DONE[entry(i, ai).s]) {
            entry(i, ai).s = "shown";
            rows[ai].input.value = a.v;
            changed.push(ai);
          }
        });
        after(i, changed);
      }
      function focusFirst() {
        var first = rows.filter(function (r, ai) { return !DONE[entry(i, ai).s]; })[0];
        if (first && open(i)) { first.input.focus(); }
      }
    }
""".replace("MAX_ANSWER", str(MAX_ANSWER)).replace("NOT_KEPT_TEXT", f'"{NOT_KEPT}"')
