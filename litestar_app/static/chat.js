// Chat page behaviour (served by both apps at /static/chat.js; the same file in both).
//
// Flow: who am I (session cookie)? If not logged in, show the login form, which posts the
// form to /auth/login with the CSRF cookie echoed in X-CSRFToken. Then make sure the room
// exists (history 404 -> create it), get a single-use ticket, open the websocket and, once it
// is open, load the history. Messages are keyed by id, so one that arrives both live and in
// the history is shown once, and the list stays ordered by id (the server's order).
(() => {
  "use strict";

  const ROOM_NAME = /^[a-z0-9][a-z0-9_-]{0,49}$/;
  const HISTORY_LIMIT = 100;
  const RECONNECT_MS = 2000;

  const $ = (selector) => document.querySelector(selector);
  const room = new URLSearchParams(window.location.search).get("room") || "lobby";
  let socket = null;

  function setStatus(text) {
    $("#status").textContent = text;
  }

  function showError(text) {
    const error = $("#error");
    error.textContent = text || "";
    error.hidden = !text;
  }

  function cookie(name) {
    for (const part of document.cookie.split(";")) {
      const [key, ...rest] = part.trim().split("=");
      if (key === name) return decodeURIComponent(rest.join("="));
    }
    return "";
  }

  // The CSRF cookie comes with the login form (GET /auth/login sets it in both apps).
  async function csrfToken() {
    if (!cookie("csrftoken")) {
      await fetch("/auth/login", { credentials: "same-origin" });
    }
    return cookie("csrftoken");
  }

  // A JSON API call with the session cookie; unsafe methods carry the CSRF header.
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    const init = { method, headers, credentials: "same-origin" };
    if (method !== "GET") {
      headers["X-CSRFToken"] = await csrfToken();
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body === undefined ? {} : body);
    }
    const response = await fetch(path, init);
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    return { status: response.status, data };
  }

  function problemText(result) {
    const detail = result.data && (result.data.detail || result.data.title);
    return `${result.status}${detail ? `: ${detail}` : ""}`;
  }

  function render(message) {
    const list = $("#messages");
    const id = String(message.id);
    if (list.querySelector(`li[data-id="${id}"]`)) return;
    const item = document.createElement("li");
    item.className = "message";
    item.dataset.id = id;
    const user = document.createElement("span");
    user.className = "user";
    user.textContent = message.user; // textContent: user data is never parsed as HTML
    const body = document.createElement("span");
    body.className = "body";
    body.textContent = message.body;
    item.append(user, " ", body);
    const next = [...list.children].find((li) => Number(li.dataset.id) > Number(message.id));
    list.insertBefore(item, next || null);
    list.scrollTop = list.scrollHeight;
  }

  async function history(limit, offset) {
    const path = `/api/v1/chat/rooms/${room}/messages?limit=${limit}&offset=${offset}`;
    return api("GET", path);
  }

  // The room must exist before the websocket connects (unknown rooms are refused).
  async function ensureRoom() {
    const result = await history(1, 0);
    if (result.status === 404) {
      const created = await api("POST", "/api/v1/chat/rooms", { name: room });
      if (created.status !== 201 && created.status !== 409) {
        throw new Error(`Could not create the room (${problemText(created)}).`);
      }
    } else if (result.status !== 200) {
      throw new Error(`Could not load the room (${problemText(result)}).`);
    }
  }

  // The newest HISTORY_LIMIT messages ("newest last": the last page of the list).
  async function loadHistory() {
    let result = await history(HISTORY_LIMIT, 0);
    if (result.status === 200 && result.data.total > HISTORY_LIMIT) {
      result = await history(HISTORY_LIMIT, result.data.total - HISTORY_LIMIT);
    }
    if (result.status !== 200) throw new Error(`History failed (${problemText(result)}).`);
    result.data.items.forEach(render);
  }

  async function connect() {
    const ticket = await api("POST", "/api/v1/chat/tickets", {});
    if (ticket.status !== 201) throw new Error(`No ticket (${problemText(ticket)}).`);
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${window.location.host}/ws/chat/${room}?ticket=${encodeURIComponent(ticket.data.ticket)}`;
    socket = new WebSocket(url);
    socket.addEventListener("open", () => {
      $("#send button").disabled = false;
      setStatus("connected");
      loadHistory().catch((error) => showError(error.message));
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "message" && frame.room === room) {
        render(frame);
      } else if (frame.type === "error") {
        showError(`${frame.code}: ${frame.detail}`);
      }
    });
    socket.addEventListener("close", () => {
      socket = null;
      $("#send button").disabled = true;
      setStatus("disconnected");
      // A ticket is single use: reconnecting asks for a new one.
      window.setTimeout(() => connect().catch((error) => showError(error.message)), RECONNECT_MS);
    });
  }

  async function startChat() {
    $("#login-form").hidden = true;
    $("#chat").hidden = false;
    setStatus("connecting");
    await ensureRoom();
    await connect();
  }

  async function login(event) {
    event.preventDefault();
    showError("");
    const form = new URLSearchParams({
      username: $("#username").value,
      password: $("#password").value,
    });
    const response = await fetch("/auth/login", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": await csrfToken(), Accept: "application/json" },
      body: form,
    });
    if (response.status !== 200) {
      const data = await response.json().catch(() => null);
      showError(`Login failed (${problemText({ status: response.status, data })}).`);
      return;
    }
    await startChat();
  }

  function send(event) {
    event.preventDefault();
    const input = $("#body");
    if (!socket || socket.readyState !== WebSocket.OPEN || !input.value.trim()) return;
    showError("");
    socket.send(JSON.stringify({ body: input.value }));
    input.value = "";
  }

  async function main() {
    $("#room").textContent = room;
    $("#send button").disabled = true;
    $("#login-form").addEventListener("submit", (event) =>
      login(event).catch((error) => showError(error.message)),
    );
    $("#send").addEventListener("submit", send);
    if (!ROOM_NAME.test(room)) {
      setStatus("invalid room");
      showError("Room names are 1-50 characters: a-z, 0-9, '_' and '-'.");
      return;
    }
    const whoami = await fetch("/auth/whoami", { credentials: "same-origin" });
    if (whoami.status === 200) {
      await startChat();
    } else {
      setStatus("logged out");
      $("#login-form").hidden = false;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    main().catch((error) => showError(error.message));
  });
})();
