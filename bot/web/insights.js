/*
 * The insights page (bot/insights/web.py): figures for a period, drawn with Chart.js (served from
 * bot/web/vendor, never a CDN), and the review queue. Every request goes to this server only; the
 * page's Content-Security-Policy allows nothing else. Text from the server is put in the page as
 * text nodes, never as HTML.
 */
(() => {
  "use strict";

  const COLORS = {
    answered: "#1d7a46",
    clarified: "#c27c0e",
    out_of_scope: "#a4262c",
    refused: "#6b4fa0",
    emergency: "#111111",
    other: "#8a94a3",
  };
  const OUTCOME_NAMES = {
    answered: "Answered",
    clarified: "Did you mean",
    out_of_scope: "Out of scope",
    refused: "Personal advice declined",
    emergency: "Emergency",
    other: "Greetings and other",
  };
  const REASONS = {
    out_of_scope: "out of scope",
    clarify: "did you mean",
    low_confidence: "low confidence",
    not_helpful: "voted not helpful",
  };
  const charts = {};
  const $ = (id) => document.getElementById(id);

  function el(tag, attributes = {}, text = "") {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text !== "") node.textContent = String(text);
    return node;
  }

  const percent = (rate) => `${(rate * 100).toFixed(1)}%`;
  const days = () => $("days").value;

  async function getJson(url) {
    const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    if (response.status === 401) {
      window.location.assign("/insights");
      throw new Error("signed out");
    }
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
  }

  function draw(id, config) {
    if (charts[id]) charts[id].destroy();
    for (const dataset of config.data.datasets) dataset.maxBarThickness = 48;
    config.options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      ...config.options,
    };
    charts[id] = new window.Chart($(id), config);
  }

  function cards(f) {
    const list = $("cards");
    list.replaceChildren();
    const latency = f.latency_ms.median === null ? "–" : `${Math.round(f.latency_ms.median)} ms`;
    const p95 = f.latency_ms.p95 === null ? "–" : `${Math.round(f.latency_ms.p95)} ms`;
    const items = [
      ["Conversations", f.conversations],
      ["Messages", f.messages],
      ["Answered", percent(f.rates.answered)],
      ["Did you mean", percent(f.rates.clarified)],
      ["Out of scope", percent(f.rates.out_of_scope)],
      ["Advice declined", percent(f.rates.refused)],
      ["Emergencies", f.emergencies],
      ["Helpful: yes", f.feedback.up],
      ["Helpful: no", f.feedback.down],
      ["Reply time (median)", latency],
      ["Reply time (95th pct)", p95],
    ];
    for (const [name, value] of items) {
      const item = el("div", { "data-figure": name });
      item.append(el("dt", {}, name), el("dd", {}, value));
      list.append(item);
    }
  }

  function dailyChart(f) {
    draw("daily-chart", {
      type: "bar",
      data: {
        labels: f.per_day.map((d) => d.day),
        datasets: [
          { label: "Messages", data: f.per_day.map((d) => d.messages), backgroundColor: "#1d4e89" },
          {
            label: "Conversations",
            data: f.per_day.map((d) => d.conversations),
            backgroundColor: "#7fa7d9",
          },
        ],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  function outcomesChart(f) {
    const names = Object.keys(f.outcomes);
    draw("outcomes-chart", {
      type: "doughnut",
      data: {
        labels: names.map((n) => `${OUTCOME_NAMES[n]} (${percent(f.rates[n])})`),
        datasets: [
          { data: names.map((n) => f.outcomes[n]), backgroundColor: names.map((n) => COLORS[n]) },
        ],
      },
      options: { plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } } },
    });
  }

  function topicsChart(f) {
    const topics = Object.entries(f.per_topic);
    draw("topics-chart", {
      type: "bar",
      data: {
        labels: topics.map(([name]) => name.replaceAll("_", " ")),
        datasets: [{ label: "Questions", data: topics.map(([, n]) => n), backgroundColor: "#1d4e89" }],
      },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  function feedbackChart(f) {
    const entries = Object.entries(f.feedback_per_entry)
      .sort(([, a], [, b]) => b.up + b.down - (a.up + a.down))
      .slice(0, 15);
    draw("feedback-chart", {
      type: "bar",
      data: {
        labels: entries.map(([name]) => name.replaceAll("_", " ")),
        datasets: [
          { label: "Helpful", data: entries.map(([, v]) => v.up), backgroundColor: "#1d7a46" },
          { label: "Not helpful", data: entries.map(([, v]) => v.down), backgroundColor: "#a4262c" },
        ],
      },
      options: {
        indexAxis: "y",
        scales: {
          x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
          y: { stacked: true },
        },
      },
    });
    const body = $("entries-table").tBodies[0];
    body.replaceChildren();
    const names = new Set([...Object.keys(f.per_entry), ...Object.keys(f.feedback_per_entry)]);
    const rows = [...names].sort(
      (a, b) => (f.per_entry[b] || 0) - (f.per_entry[a] || 0) || a.localeCompare(b),
    );
    for (const name of rows.slice(0, 30)) {
      const votes = f.feedback_per_entry[name] || { up: 0, down: 0 };
      const row = el("tr", { "data-entry": name });
      row.append(
        el("td", {}, name),
        el("td", { class: "num" }, f.per_entry[name] || 0),
        el("td", { class: "num", "data-vote": "up" }, votes.up),
        el("td", { class: "num", "data-vote": "down" }, votes.down),
      );
      body.append(row);
    }
  }

  function unansweredTable(f) {
    const body = $("unanswered-table").tBodies[0];
    body.replaceChildren();
    if (!f.unanswered.length) {
      const row = el("tr");
      row.append(el("td", { colspan: "2" }, "None in this period."));
      body.append(row);
    }
    for (const item of f.unanswered) {
      const row = el("tr");
      row.append(el("td", {}, item.text), el("td", { class: "num" }, item.count));
      body.append(row);
    }
  }

  function reviewList(data) {
    const list = $("review-list");
    list.replaceChildren();
    if (!data.items.length) list.append(el("li", {}, "Nothing to review in this period."));
    data.items.forEach((item, index) => list.append(reviewItem(item, index, data.entries)));
  }

  function reviewItem(item, index, entries) {
    const li = el("li", { "data-key": item.key });
    li.append(el("p", { class: "text" }, item.text));
    const reasons = item.reasons.map((r) => REASONS[r] || r).join(", ");
    const guess = item.guess ? `; the bot's guess: ${item.guess}` : "";
    li.append(el("p", { class: "meta" }, `${item.count}× · ${reasons}${guess}`));
    const form = el("form");
    const id = `label-${index}`;
    const select = el("select", { id, name: "label" });
    select.append(el("option", { value: "" }, "Choose a label…"));
    select.append(el("option", { value: "out_of_scope" }, "Out of scope"));
    select.append(el("option", { value: "ignore" }, "Ignore"));
    const group = el("optgroup", { label: "FAQ entries" });
    for (const entry of entries) group.append(el("option", { value: entry }, entry));
    select.append(group);
    const message = el("span", { role: "status" });
    form.append(el("label", { for: id, class: "sr-only" }, "Label"), select);
    form.append(el("button", { type: "submit" }, "Save label"), message);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!select.value) {
        message.textContent = "Choose a label first.";
        return;
      }
      const response = await fetch("/insights/api/label", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ key: item.key, label: select.value }),
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) {
        message.className = "error";
        message.textContent = answer.error || `Not saved (HTTP ${response.status}).`;
        return;
      }
      li.replaceChildren(el("p", { class: "meta", role: "status" }, `Labelled “${item.text}”: ${answer.label}.`));
      li.dataset.labelled = answer.label;
    });
    li.append(form);
    return li;
  }

  async function load() {
    const status = $("status");
    status.textContent = "Loading…";
    $("export").setAttribute("href", `/insights/review.csv?days=${days()}`);
    try {
      const [figures, review] = await Promise.all([
        getJson(`/insights/api/figures?days=${days()}`),
        getJson(`/insights/api/review?days=${days()}`),
      ]);
      cards(figures);
      dailyChart(figures);
      outcomesChart(figures);
      topicsChart(figures);
      feedbackChart(figures);
      unansweredTable(figures);
      reviewList(review);
      status.textContent = "";
      document.body.dataset.loaded = "true";
    } catch (error) {
      status.textContent = `Could not load the figures: ${error.message}`;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("days").addEventListener("change", load);
    $("period-form").addEventListener("submit", (event) => event.preventDefault());
    load();
  });
})();
