// ERP SteinmetZ status page: polls /api/status and updates the page in place (no reload).
// Text only goes in through textContent, never innerHTML: error messages are data.
"use strict";

(function () {
  const body = document.body;
  const interval = Number(body.dataset.pollMs) || 2000;
  const $ = (id) => document.getElementById(id);
  let polls = 0;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }
  const pill = (tone, text, id) =>
    el("span", Object.assign({ class: "pill tone-" + tone }, id ? { id } : {}), text);
  const note = (text) => (text ? el("div", { class: "note" }, text) : null);
  const ms = (value) => (value === null || value === undefined ? "–" : value.toFixed(1) + " ms");
  const setPill = (node, tone, text) => {
    node.className = node.className.replace(/\btone-\w+/, "tone-" + tone);
    node.textContent = text;
  };

  function renderComponents(components) {
    $("components").replaceChildren(
      ...components.map((c) =>
        el(
          "tr",
          { "data-name": c.name },
          el("td", null, c.name, c.critical ? " " : null,
            c.critical ? el("span", { class: "tag" }, "critical") : null, note(c.error)),
          el("td", null, pill(c.tone, c.status)),
          el("td", { class: "num" }, ms(c.latency_ms))
        )
      )
    );
  }

  function renderBreakers(breakers) {
    const rows = breakers.map((b) => {
      let detail = null;
      if (b.state === "open") detail = "retry in " + b.retry_after + " s";
      else if (b.consecutive_failures) detail = b.consecutive_failures + " failures in a row";
      return el(
        "tr",
        { "data-name": b.name, "data-state": b.state },
        el("td", null, b.name, note(detail)),
        el("td", null, pill(b.tone, b.state.replace("_", " "))),
        el("td", { class: "num" }, String(b.successful_calls)),
        el("td", { class: "num" }, String(b.failed_calls)),
        el("td", { class: "num" }, String(b.rejected_calls))
      );
    });
    if (!rows.length) rows.push(el("tr", null, el("td", { colspan: "5", class: "note" }, "no breakers registered")));
    $("breakers").replaceChildren(...rows);
  }

  function renderProviders(status) {
    setPill($("ai-overall"), status.ai_tone, status.ai_overall);
    $("providers").replaceChildren(
      ...status.providers.map((p) =>
        el(
          "li",
          { "data-name": p.provider, "data-status": p.status },
          el("span", { class: "pname" }, p.provider),
          pill(p.tone, p.status),
          el("span", { class: "num" }, ms(p.latency_ms)),
          note(p.error)
        )
      )
    );
  }

  function renderSessions(s) {
    setPill($("session-active"), s.tone, s.active);
    $("session-redis").textContent = s.redis_configured ? "yes" : "no";
    $("session-failovers").textContent = String(s.failovers);
    $("session-failbacks").textContent = String(s.failbacks);
    $("session-count").textContent = s.sessions === null ? "–" : String(s.sessions);
  }

  function render(status) {
    body.dataset.tone = status.tone;
    document.title = "ERP SteinmetZ · " + status.status;
    setPill($("overall"), status.tone, status.status);
    $("version").textContent = status.version;
    $("environment").textContent = status.environment;
    $("uptime").textContent = Math.round(status.uptime) + " s";
    const updated = $("updated");
    updated.dateTime = status.timestamp;
    updated.textContent = status.timestamp.slice(11, 19);
    renderComponents(status.components);
    renderBreakers(status.breakers);
    renderProviders(status);
    renderSessions(status.sessions);
  }

  function connected(ok) {
    $("offline").hidden = ok;
    body.classList.toggle("offline", !ok);
    const live = $("live");
    live.classList.toggle("stale", !ok);
    live.classList.remove("pulse");
    if (ok) {
      void live.offsetWidth; // restart the animation
      live.classList.add("pulse");
    }
  }

  let timer = null;
  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(poll, delay);
  }

  async function poll() {
    if (document.hidden) return; // a background tab asks nothing; see visibilitychange
    const abort = new AbortController();
    const deadline = setTimeout(() => abort.abort(), Math.max(1000, interval - 200));
    try {
      const response = await fetch("/api/status", {
        cache: "no-store",
        headers: { Accept: "application/json" },
        signal: abort.signal,
      });
      if (!response.ok) throw new Error("HTTP " + response.status);
      render(await response.json());
      polls += 1;
      body.dataset.polls = String(polls);
      connected(true);
    } catch (error) {
      connected(false);
    } finally {
      clearTimeout(deadline);
      schedule(interval); // after the answer: polls never pile up
    }
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) schedule(0);
  });
  schedule(interval);
})();
