/*
 * Faqbot website widget: a chat panel for the Botox for chronic migraine FAQ assistant.
 *
 * Embed with one tag (options as data attributes):
 *   <script src="https://your-host/faqbot-widget.js" data-server-url="http://localhost:5005"
 *           data-title="Botox & migraine FAQ" data-primary-color="#1d4e89"></script>
 * or load the script without data-server-url and call window.FaqbotWidget.init({serverUrl, ...}).
 *
 * It talks to Rasa's socket.io channel (bot/channels/socketio.py) with socket.io-client, loaded
 * from vendor/socket.io.min.js next to this file. The session id and the transcript live in
 * sessionStorage, never localStorage: health questions must not outlive the tab. Everything the
 * bot or the user wrote is put in the page as text nodes, never as HTML.
 */
(() => {
  "use strict";

  const SCRIPT = document.currentScript;
  const DEFAULTS = {
    serverUrl: "",
    title: "Botox & migraine FAQ",
    primaryColor: "#1d4e89",
    primaryTextColor: "#ffffff",
    welcome:
      "Ask a question about Botox for chronic migraine. " +
      "I give general information, not medical advice.",
    token: "",
    socketioSrc: SCRIPT ? new URL("vendor/socket.io.min.js", SCRIPT.src).href : "",
  };
  const MAX_MESSAGE_CHARS = 2000; // bot.channels.rest.MAX_MESSAGE_CHARS
  const TYPING_TIMEOUT_MS = 30000;

  const STYLE = `
    :host { all: initial; }
    * { box-sizing: border-box; }
    .root {
      --primary: #1d4e89; --on-primary: #ffffff;
      font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
      color: #1b1f24;
    }
    .sr-only {
      position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
      overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap;
    }
    button, input { font: inherit; }
    button { cursor: pointer; }
    /* Yellow inside black: visible on light and dark backgrounds alike. */
    :focus-visible { outline: 3px solid #ffbf47; outline-offset: 0; box-shadow: 0 0 0 6px #0b0c0c; }
    .launcher {
      position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
      display: flex; align-items: center; gap: 8px; padding: 12px 18px; border: 0;
      border-radius: 999px; background: var(--primary); color: var(--on-primary);
      font-weight: 600; box-shadow: 0 4px 14px rgba(0, 0, 0, 0.25);
    }
    .launcher svg { width: 20px; height: 20px; fill: currentColor; }
    .panel {
      position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
      width: 380px; height: min(620px, calc(100vh - 40px));
      display: flex; flex-direction: column; overflow: hidden;
      background: #ffffff; border-radius: 12px; box-shadow: 0 8px 30px rgba(0, 0, 0, 0.3);
    }
    .panel[hidden], .launcher[hidden], .typing[hidden], .welcome[hidden] { display: none; }
    .header {
      display: flex; align-items: center; gap: 8px; padding: 10px 10px 10px 16px;
      background: var(--primary); color: var(--on-primary);
    }
    .header h2 { flex: 1; margin: 0; font-size: 16px; font-weight: 600; }
    .header button {
      border: 1px solid currentColor; border-radius: 6px; background: transparent;
      color: inherit; padding: 4px 10px; font-size: 13px;
    }
    .header .close { border-color: transparent; font-size: 22px; line-height: 1; padding: 2px 8px; }
    .status { margin: 0; padding: 6px 16px; background: #fff4e5; color: #6b3d00; font-size: 13px; }
    .status:empty { display: none; }
    .log { position: relative; flex: 1; overflow-y: auto; padding: 14px 12px; }
    .messages { list-style: none; margin: 0; padding: 0; }
    .welcome { margin: 0 0 12px; color: #4a5360; }
    .msg { display: flex; flex-direction: column; margin: 0 0 12px; }
    .bubble {
      max-width: 88%; padding: 9px 12px; border-radius: 12px; overflow-wrap: anywhere;
    }
    .bubble p { margin: 0 0 0.6em; }
    .bubble p:last-child { margin-bottom: 0; }
    .user { align-items: flex-end; }
    .user .bubble { background: var(--primary); color: var(--on-primary); }
    .bot { align-items: flex-start; }
    .bot .bubble { background: #eef1f5; }
    .choices { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; max-width: 88%; }
    .choices button {
      padding: 6px 12px; border: 1.5px solid var(--primary); border-radius: 999px;
      background: #ffffff; color: var(--primary); text-align: left;
    }
    .choices button:hover { background: #eef1f5; }
    .feedback { display: flex; align-items: center; gap: 6px; margin-top: 6px; font-size: 13px; color: #4a5360; }
    .feedback button {
      padding: 2px 10px; border: 1px solid #8a94a3; border-radius: 999px;
      background: #ffffff; color: #1b1f24; font-size: 13px;
    }
    .feedback button[aria-pressed="true"] { background: var(--primary); border-color: var(--primary); color: var(--on-primary); }
    .typing { margin: 0 0 12px; color: #4a5360; font-size: 13px; font-style: italic; }
    .typing .dot { display: inline-block; animation: blink 1.2s infinite both; }
    .typing .dot:nth-child(2) { animation-delay: 0.2s; }
    .typing .dot:nth-child(3) { animation-delay: 0.4s; }
    @keyframes blink { 0%, 80%, 100% { opacity: 0.2; } 40% { opacity: 1; } }
    form { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #d7dce3; }
    form input {
      flex: 1; min-width: 0; padding: 9px 12px; border: 1.5px solid #8a94a3; border-radius: 8px;
      font-size: 16px; color: inherit; background: #ffffff;
    }
    form button {
      padding: 9px 16px; border: 0; border-radius: 8px;
      background: var(--primary); color: var(--on-primary); font-weight: 600;
    }
    @media (max-width: 480px) {
      .panel { inset: 0; width: 100%; height: 100%; border-radius: 0; }
    }
    @media (prefers-reduced-motion: reduce) { .typing .dot { animation: none; } }
  `;

  const CHAT_ICON =
    "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z";

  /** An element with attributes and, optionally, text (always as a text node). */
  function el(tag, attributes = {}, text = "") {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text) node.textContent = text;
    return node;
  }

  /** Paragraphs for blank-line breaks, <br> for single newlines, text nodes for the words. */
  function renderText(container, text) {
    for (const paragraph of text.split(/\n{2,}/)) {
      const p = el("p");
      paragraph.split("\n").forEach((line, index) => {
        if (index > 0) p.append(el("br"));
        p.append(document.createTextNode(line));
      });
      container.append(p);
    }
  }

  function loadSocketIo(src) {
    if (window.io) return Promise.resolve(window.io);
    return new Promise((resolve, reject) => {
      const script = el("script", { src, async: "" });
      script.onload = () => (window.io ? resolve(window.io) : reject(new Error("no io")));
      script.onerror = () => reject(new Error(`could not load ${src}`));
      document.head.append(script);
    });
  }

  /** sessionStorage under one prefix per server; a blocked storage just means no memory. */
  class TabStore {
    constructor(serverUrl) {
      this.prefix = `faqbot-widget:${serverUrl}:`;
    }
    get(name, fallback) {
      try {
        const value = sessionStorage.getItem(this.prefix + name);
        return value === null ? fallback : JSON.parse(value);
      } catch {
        return fallback;
      }
    }
    set(name, value) {
      try {
        sessionStorage.setItem(this.prefix + name, JSON.stringify(value));
      } catch {
        /* storage full or blocked: the conversation still works, it just isn't kept */
      }
    }
    clear() {
      try {
        for (const key of Object.keys(sessionStorage)) {
          if (key.startsWith(this.prefix)) sessionStorage.removeItem(key);
        }
      } catch {
        /* nothing stored */
      }
    }
  }

  /** The "Helpful? Yes / No" payloads of an FAQ answer ({up, down}), or null. */
  function feedbackOf(metadata) {
    const feedback = metadata && metadata.feedback;
    if (!feedback || typeof feedback.up !== "string" || typeof feedback.down !== "string") {
      return null;
    }
    return { up: feedback.up, down: feedback.down };
  }

  /** A bot message as sent by bot/channels/socketio.py, checked field by field. */
  function botEntry(message) {
    const data = message && typeof message === "object" ? message : {};
    const buttons = Array.isArray(data.buttons) ? data.buttons : [];
    return {
      feedback: feedbackOf(data.metadata),
      vote: null,
      from: "bot",
      text: typeof data.text === "string" ? data.text : "",
      buttons: buttons
        .filter((b) => b && typeof b.title === "string" && typeof b.payload === "string")
        .map((b) => ({ title: b.title, payload: b.payload })),
      topic: (data.metadata && data.metadata.topic) || "",
      faq: (data.metadata && typeof data.metadata.faq === "string" && data.metadata.faq) || "",
    };
  }

  class Widget {
    constructor(options) {
      this.options = options;
      this.store = new TabStore(options.serverUrl);
      this.transcript = this.store.get("transcript", []);
      this.sessionId = null;
      this.pending = [];
      this.socket = null;
      this.build();
      this.transcript.forEach((entry) => this.render(entry));
      this.log.scrollTop = this.log.scrollHeight;
      this.setOpen(this.store.get("open", false), false);
      this.connect();
    }

    build() {
      const o = this.options;
      this.host = el("div", { id: "faqbot-widget" });
      const shadow = this.host.attachShadow({ mode: "open" });
      const root = el("div", { class: "root" });
      root.style.setProperty("--primary", o.primaryColor);
      root.style.setProperty("--on-primary", o.primaryTextColor);

      this.launcher = el("button", {
        type: "button",
        class: "launcher",
        "aria-expanded": "false",
        "aria-controls": "panel",
      });
      const icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      icon.setAttribute("viewBox", "0 0 24 24");
      icon.setAttribute("aria-hidden", "true");
      const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
      path.setAttribute("d", CHAT_ICON);
      icon.append(path);
      this.launcher.append(icon, el("span", {}, o.title));
      this.launcher.addEventListener("click", () => this.setOpen(true, true));

      this.panel = el("section", { id: "panel", class: "panel", "aria-labelledby": "title" });
      this.panel.hidden = true;
      this.panel.addEventListener("keydown", (event) => {
        if (event.key === "Escape") this.setOpen(false, true);
      });

      const header = el("div", { class: "header" });
      const clear = el("button", { type: "button", "aria-label": "Clear conversation" }, "Clear");
      clear.addEventListener("click", () => this.clear());
      const close = el("button", { type: "button", class: "close", "aria-label": "Close chat" });
      close.textContent = "\u00d7";
      close.addEventListener("click", () => this.setOpen(false, true));
      header.append(el("h2", { id: "title" }, o.title), clear, close);

      this.status = el("p", { class: "status", role: "status" });
      // Focusable so the keyboard can scroll it; not a live region (see the announcer below).
      this.log = el("div", {
        class: "log",
        role: "region",
        tabindex: "0",
        "aria-label": "Conversation",
      });
      this.welcome = el("p", { class: "welcome" }, o.welcome);
      this.messages = el("ol", { class: "messages" });
      this.typing = el("p", { class: "typing" }, "Assistant is typing");
      for (let i = 0; i < 3; i++) this.typing.append(el("span", { class: "dot" }, "."));
      this.typing.hidden = true;
      this.log.append(this.welcome, this.messages, this.typing);

      // Announces only the bot's new messages; the transcript itself stays quiet.
      this.announcer = el("div", {
        class: "sr-only",
        "aria-live": "polite",
        "aria-atomic": "true",
      });

      const form = el("form");
      this.input = el("input", {
        id: "question",
        type: "text",
        autocomplete: "off",
        maxlength: String(MAX_MESSAGE_CHARS),
        placeholder: "Type your question",
      });
      form.append(
        el("label", { for: "question", class: "sr-only" }, "Your question"),
        this.input,
        el("button", { type: "submit" }, "Send"),
      );
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.send(this.input.value);
        this.input.value = "";
      });

      this.panel.append(header, this.status, this.log, form, this.announcer);
      const style = el("style");
      style.textContent = STYLE;
      root.append(this.launcher, this.panel);
      shadow.append(style, root);
      document.body.append(this.host);
    }

    setOpen(open, moveFocus) {
      this.panel.hidden = !open;
      this.launcher.hidden = open;
      this.launcher.setAttribute("aria-expanded", String(open));
      this.store.set("open", open);
      if (!moveFocus) return;
      (open ? this.input : this.launcher).focus();
    }

    connect() {
      loadSocketIo(this.options.socketioSrc).then(
        (io) => this.openSocket(io),
        () => this.setStatus("The chat could not load. Please try again later."),
      );
    }

    openSocket(io) {
      const { serverUrl, token } = this.options;
      this.setStatus("Connecting\u2026");
      // Rasa's SocketIOInput reads a JWT from the connection's auth payload: {token}.
      // WebSocket first: long-polling needs sticky sessions when several Rasa workers serve.
      const socket = io(serverUrl, {
        transports: ["websocket", "polling"],
        ...(token ? { auth: { token } } : {}),
      });
      this.socket = socket;
      socket.on("connect", () => {
        this.setStatus("");
        socket.emit("session_request", { session_id: this.store.get("session", null) });
      });
      socket.on("session_confirm", (sessionId) => {
        this.sessionId = sessionId;
        this.store.set("session", sessionId);
        this.pending.splice(0).forEach((message) => this.emit(message));
      });
      socket.on("bot_uttered", (message) => this.receive(botEntry(message)));
      socket.on("connect_error", () => {
        this.showTyping(false);
        this.setStatus(
          socket.active
            ? "Reconnecting\u2026"
            : "The assistant refused the connection. Please reload the page later.",
        );
      });
      socket.on("disconnect", (reason) => {
        this.sessionId = null;
        if (reason !== "io client disconnect") this.setStatus("Reconnecting\u2026");
      });
    }

    emit(message) {
      this.socket.emit("user_uttered", { message, session_id: this.sessionId });
    }

    /** Sends `message`; shows `shownAs` (a button's title) or the message as the user's words. */
    send(message, shownAs) {
      const text = message.trim();
      if (!text) return;
      this.add({ from: "user", text: shownAs || text });
      this.showTyping(true);
      if (this.sessionId && this.socket && this.socket.connected) this.emit(text);
      else this.pending.push(text);
    }

    /** A "Helpful?" click: sent as its payload, shown only as the pressed button. */
    vote(entry, vote, buttons) {
      entry.vote = vote;
      this.store.set("transcript", this.transcript);
      for (const [name, button] of Object.entries(buttons)) {
        button.setAttribute("aria-pressed", String(name === vote));
      }
      const payload = entry.feedback[vote];
      this.showTyping(true);
      if (this.sessionId && this.socket && this.socket.connected) this.emit(payload);
      else this.pending.push(payload);
    }

    receive(entry) {
      this.showTyping(false);
      this.add(entry);
      this.announcer.textContent = `Assistant: ${entry.text}`;
    }

    add(entry) {
      this.transcript.push(entry);
      this.store.set("transcript", this.transcript);
      const item = this.render(entry);
      // A new answer shows from its start; anything else keeps the bottom in view.
      this.log.scrollTop = entry.from === "bot" ? item.offsetTop - 8 : this.log.scrollHeight;
    }

    render(entry) {
      // Only the latest answer offers follow-ups; the thanks for a vote keeps them.
      if (entry.topic !== "feedback") {
        if (this.choices) this.choices.remove();
        this.choices = null;
      }
      this.welcome.hidden = true;
      const item = el("li", { class: `msg ${entry.from === "user" ? "user" : "bot"}` });
      if (entry.topic) item.dataset.topic = entry.topic; // for the host page's styles or analytics
      if (entry.faq) item.dataset.faq = entry.faq;
      item.append(el("span", { class: "sr-only" }, entry.from === "user" ? "You:" : "Assistant:"));
      const bubble = el("div", { class: "bubble" });
      renderText(bubble, entry.text);
      item.append(bubble);
      // Under the answer, before its follow-ups (which stay last, next to the input for Shift+Tab).
      if (entry.from === "bot" && entry.feedback) item.append(this.feedbackControl(entry));
      if (entry.buttons && entry.buttons.length) {
        this.choices = el("div", {
          class: "choices",
          role: "group",
          "aria-label": "Related topics",
        });
        for (const button of entry.buttons) {
          const choice = el("button", { type: "button" }, button.title);
          choice.addEventListener("click", () => {
            this.input.focus(); // the button goes away with the next message
            this.send(button.payload, button.title);
          });
          this.choices.append(choice);
        }
        item.append(this.choices);
      }
      this.messages.append(item);
      return item;
    }

    feedbackControl(entry) {
      const group = el("div", { class: "feedback", role: "group", "aria-label": "Was this helpful?" });
      group.append(el("span", { "aria-hidden": "true" }, "Helpful?"));
      const buttons = {};
      for (const [vote, title] of [["up", "Yes"], ["down", "No"]]) {
        const button = el("button", {
          type: "button",
          "aria-pressed": String(entry.vote === vote),
          "data-vote": vote,
        }, title);
        button.addEventListener("click", () => this.vote(entry, vote, buttons));
        buttons[vote] = button;
        group.append(button);
      }
      return group;
    }

    showTyping(on) {
      clearTimeout(this.typingTimer);
      this.typing.hidden = !on;
      if (!on) return;
      this.log.scrollTop = this.log.scrollHeight;
      this.typingTimer = setTimeout(() => this.showTyping(false), TYPING_TIMEOUT_MS);
    }

    setStatus(text) {
      this.status.textContent = text;
    }

    /** Forgets the conversation in this tab and starts a new session on a new connection. */
    clear() {
      this.store.clear();
      this.store.set("open", true);
      this.transcript = [];
      this.pending = [];
      this.messages.replaceChildren();
      this.choices = null;
      this.welcome.hidden = false;
      this.showTyping(false);
      this.announcer.textContent = "Conversation cleared.";
      if (this.socket) this.socket.disconnect().connect();
      this.input.focus();
    }
  }

  function init(options) {
    const settings = { ...DEFAULTS, ...options };
    if (!/^https?:\/\//.test(settings.serverUrl)) {
      throw new Error("FaqbotWidget: serverUrl must be an http(s) URL");
    }
    return new Widget(settings);
  }

  function fromScriptTag(script) {
    const d = script.dataset;
    const options = {
      serverUrl: d.serverUrl,
      title: d.title,
      primaryColor: d.primaryColor,
      primaryTextColor: d.primaryTextColor,
      welcome: d.welcome,
      token: d.token,
      socketioSrc: d.socketioSrc,
    };
    return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  }

  window.FaqbotWidget = { init };
  if (SCRIPT && SCRIPT.dataset.serverUrl) {
    const start = () => init(fromScriptTag(SCRIPT));
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }
})();
