// Activation and password-reset pages: the one-time token travels in the URL fragment (never sent to
// a server or a referrer), the chosen password goes to the auth service.
(function () {
  "use strict";
  const form = document.querySelector("form");
  const output = document.querySelector(".message");
  const mode = form.dataset.mode; // "activate" or "reset"
  const token = new URLSearchParams(window.location.hash.slice(1)).get("token");
  if (!token) {
    output.textContent = "Deze link is onvolledig. / This link is incomplete.";
    output.className = "message bad";
    form.hidden = true;
    return;
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const password = form.password.value;
    if (password !== form.repeat.value) {
      output.textContent = "De wachtwoorden zijn niet gelijk. / The passwords differ.";
      output.className = "message bad";
      return;
    }
    const path = mode === "activate" ? "/auth/activate" : "/auth/password/reset";
    const answer = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept-Language": navigator.language || "nl" },
      body: JSON.stringify({ token: token, password: password }),
    });
    if (answer.ok) {
      history.replaceState(null, "", window.location.pathname); // forget the used token
      form.hidden = true;
      output.className = "message";
      output.textContent = mode === "activate"
        ? "Je account is actief. Je kunt nu inloggen in de app. / Your account is active: you can sign in now."
        : "Je wachtwoord is gewijzigd. / Your password was changed.";
      return;
    }
    const problem = await answer.json().catch(() => ({}));
    output.className = "message bad";
    output.textContent = problem.detail || "Er ging iets mis. / Something went wrong.";
  });
})();
