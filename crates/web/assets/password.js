// passgate self-service pages: optional enhancements (the pages work without them).
// - "Show password" toggles next to password fields.
// - Live policy feedback: while a new password is typed, the server's own policy (the
//   endpoint named by data-check-url) judges it; this script only displays the verdict.
"use strict";

(function () {
  function setupToggles() {
    document.querySelectorAll("button[data-toggle]").forEach(function (button) {
      var input = document.getElementById(button.getAttribute("data-toggle"));
      if (!input) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        var show = input.type === "password";
        input.type = show ? "text" : "password";
        button.setAttribute("aria-pressed", show ? "true" : "false");
      });
    });
  }

  function renderRules(list, rules) {
    while (list.firstChild) list.removeChild(list.firstChild);
    rules.forEach(function (r) {
      var li = document.createElement("li");
      li.className = "rule " + r.state;
      li.setAttribute("data-rule", r.code);
      li.textContent = r.text;
      list.appendChild(li);
    });
  }

  function setupPolicy(form) {
    var section = form.querySelector("[data-check-url]");
    var input = form.querySelector("#new");
    var csrf = form.querySelector("input[name=csrf]");
    if (!section || !input || !csrf) return;
    var url = section.getAttribute("data-check-url");
    var list = section.querySelector("#rules");
    var strength = section.querySelector(".strength");
    var meter = section.querySelector("#strength-meter");
    var label = section.querySelector("#strength-text");
    var summary = section.querySelector("#policy-summary");
    var timer = null;
    var sent = 0;
    strength.hidden = false;

    function check() {
      var mine = ++sent;
      var body = new URLSearchParams();
      body.set("csrf", csrf.value);
      body.set("password", input.value);
      // The reset page: the link's token names the user whose context words apply.
      var token = form.querySelector("input[name=token]");
      if (token) body.set("token", token.value);
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: body.toString()
      }).then(function (res) {
        return res.ok ? res.json() : null;
      }).then(function (verdict) {
        if (!verdict || mine !== sent) return;
        renderRules(list, verdict.rules);
        meter.value = verdict.score;
        label.textContent = verdict.strength;
        section.setAttribute("data-acceptable", verdict.acceptable ? "true" : "false");
        summary.textContent = input.value === "" ? "" :
          summary.getAttribute(verdict.acceptable ? "data-ok" : "data-fail");
      }).catch(function () { /* the server still checks on submit */ });
    }

    input.addEventListener("input", function () {
      if (timer) clearTimeout(timer);
      timer = setTimeout(check, 250);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupToggles();
    document.querySelectorAll("form[data-policy-form]").forEach(setupPolicy);
  });
})();
