// The review desk's page: renders the queue from /api/queue with DOM calls only (no HTML from
// data: the restricted text is never parsed as markup) and sends decisions with the token.
"use strict";

const TOKEN = new URLSearchParams(location.search).get("token") || "";
const LABELS = {
  same_person: "Same person as",
  person: "New person",
  place: "Place",
  organisation: "Organisation",
  allow: "Not identifying (allow-list)",
  release: "Release shape (reviewed as safe)",
};
let state = null;
let current = 0;
let runTimer = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

async function api(path, body) {
  const options = { headers: { "X-Desk-Token": TOKEN } };
  if (body !== undefined) {
    options.method = "POST";
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const answer = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) {
    const error = new Error(answer.error || `HTTP ${response.status}`);
    error.kind = answer.kind;
    throw error;
  }
  return answer;
}

function say(text, ok = false) {
  const box = document.getElementById("message");
  box.textContent = text;
  box.className = ok ? "ok" : "";
  box.hidden = !text;
}

function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function filters() {
  return {
    practice: document.getElementById("filter-practice").value,
    item: document.getElementById("filter-item").value,
    source: document.getElementById("filter-source").value,
    decided: document.getElementById("show-decided").checked,
  };
}

function fillSelect(id, values) {
  const select = document.getElementById(id);
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "", textContent: "all" }));
  for (const value of values) select.append(el("option", { value, textContent: value }));
  select.value = values.includes(chosen) ? chosen : "";
}

function shown() {
  const f = filters();
  return state.entries.filter(
    (e) =>
      (!f.practice || e.practice === f.practice) &&
      (!f.item || e.item_id === f.item) &&
      (!f.source || e.source === f.source) &&
      (f.decided || !e.decision),
  );
}

// The message is shown once the queue is read again, so what it says matches the page.
async function decide(entry, action, target) {
  let message;
  let ok = false;
  try {
    const answer = await api("/api/decide", {
      entry_id: entry.entry_id,
      action,
      target,
      seen: state.fingerprint,
    });
    const many = entry.occurrences > 1 ? ` (all ${entry.occurrences} occurrences)` : "";
    message = `Decided: ${LABELS[action]}${target ? " " + target : ""} for “${entry.text}”${many}; ` +
      `backup and log in restricted/review/ (${answer.decision.decision_id}).`;
    ok = true;
  } catch (error) {
    message = error.message;
  }
  await load();
  say(message, ok);
}

async function undo(decisionId) {
  let message;
  let ok = false;
  try {
    await api("/api/undo", { decision_id: decisionId });
    message = `Undone: ${decisionId}; the files are as they were before it.`;
    ok = true;
  } catch (error) {
    message = error.message;
  }
  await load();
  say(message, ok);
}

function player(entry) {
  const holder = el("span", { class: "player" });
  const button = el("button", { type: "button", class: "hear", textContent: "Hear it (±2 s)" });
  button.addEventListener("click", () => {
    const audio = el("audio", { controls: true, preload: "auto" });
    audio.src = `/api/audio/${entry.entry_id}?token=${encodeURIComponent(TOKEN)}`;
    audio.addEventListener("error", async () => {
      try {
        await api(`/api/audio/${entry.entry_id}`);
      } catch (error) {
        say(error.message);
      }
    });
    holder.replaceChildren(audio);
    audio.play().catch(() => {});
  });
  holder.append(button);
  return holder;
}

function actions(entry) {
  const box = el("div", { class: "actions" });
  if (entry.decision) {
    box.append(el("span", { textContent: `Decided: ${LABELS[entry.decision.action]} (${entry.decision.decision_id})` }));
    return box;
  }
  for (const action of entry.fits) {
    if (action === "same_person") {
      const persons = state.persons[entry.practice] || [];
      if (!persons.length) continue;
      const select = el("select", { class: "person-target", title: "an existing person of the ledger" });
      for (const person of persons) {
        select.append(el("option", { value: person.pseudonym, textContent: `${person.pseudonym} ${person.name}` }));
      }
      const button = el("button", { type: "button", class: "do-same_person", textContent: "Merge" });
      button.addEventListener("click", () => decide(entry, "same_person", select.value));
      box.append(el("fieldset", {}, el("legend", { textContent: LABELS.same_person }), select, button));
    } else if (action === "person") {
      const select = el("select", { class: "role-target", title: "the person's role" });
      for (const role of state.roles) select.append(el("option", { value: role, textContent: role }));
      select.value = "patient";
      const button = el("button", { type: "button", class: "do-person", textContent: "Add" });
      button.addEventListener("click", () => decide(entry, "person", select.value));
      box.append(el("fieldset", {}, el("legend", { textContent: LABELS.person }), select, button));
    } else {
      const button = el("button", { type: "button", class: `do-${action}`, textContent: LABELS[action] });
      button.addEventListener("click", () => decide(entry, action, ""));
      box.append(button);
    }
  }
  if (entry.occurrences > 1) {
    box.append(el("span", { class: "occurrences", textContent: `Same decision for all ${entry.occurrences} occurrences in ${entry.practice}` }));
  }
  return box;
}

function card(entry, index) {
  const p = entry.passage;
  const where = p.start_s !== null ? `${clock(p.start_s)}–${clock(p.end_s)}` : p.page ? `page ${p.page}` : "";
  const meta = el(
    "div",
    { class: "meta" },
    el("span", { class: `badge ${entry.queue}`, textContent: entry.queue === "gate" ? "gate hit" : "review" }),
    el("span", { textContent: entry.practice }),
    el("span", { textContent: `item ${entry.item_id}` }),
    el("span", { textContent: `unit ${entry.unit_id}` }),
    where ? el("span", { textContent: where }) : null,
    el("span", { textContent: `source ${entry.source}` }),
    entry.score ? el("span", { textContent: `score ${entry.score}` }) : null,
    entry.pseudonym ? el("span", { textContent: `got ${entry.pseudonym}` }) : null,
  );
  const text = el("p", { class: "passage" }, `…${p.before}`, el("mark", { textContent: p.span }), `${p.after}…`);
  const node = el(
    "article",
    { class: "entry" + (entry.decision ? " decided" : ""), tabIndex: 0, "data-id": entry.entry_id, "data-index": String(index) },
    meta,
    text,
    el("p", { class: "reason", textContent: entry.reason || entry.source }),
    entry.recording ? player(entry) : null,
    actions(entry),
  );
  node.addEventListener("focus", () => { current = index; });
  return node;
}

function renderThen() {
  const then = state.then;
  document.getElementById("then-summary").textContent = then.pending
    ? `${then.pending} decision(s) wait for a run; it will redo these items:`
    : "No decision waits for a run.";
  document.getElementById("then-items").replaceChildren(...then.items.map((i) => el("li", { textContent: i })));
  document.getElementById("then-command").textContent = then.command;
}

function renderDecisions() {
  const list = document.getElementById("decisions");
  list.replaceChildren(
    ...state.decisions.map((row) => {
      const item = el("li", {}, `${row.decided_at.slice(11, 19)} ${row.decided_by}: ${LABELS[row.action]} ${row.target} “${row.text}”`);
      if (row.undone_at) item.append(" (undone)");
      else {
        const button = el("button", { type: "button", class: "undo", textContent: "Undo" });
        button.addEventListener("click", () => undo(row.decision_id));
        item.append(" ", button);
      }
      return item;
    }),
  );
}

function render() {
  const entries = shown();
  const queue = document.getElementById("queue");
  const keyboard = document.activeElement && document.activeElement.closest("#queue");
  queue.replaceChildren(...entries.map(card));
  if (!entries.length) queue.append(el("p", { textContent: "Nothing open here. Rerun the pipeline after your decisions (see Then)." }));
  const withheld = state.withheld ? `; ${state.withheld} item(s) withheld by the residual-identifier gate` : "";
  document.getElementById("counts").textContent = `${state.open} open, ${state.decided} decided${withheld}`;
  renderThen();
  renderDecisions();
  current = Math.min(current, Math.max(0, entries.length - 1));
  if (keyboard) focusEntry(current);  // keep the keys working on the next entry
}

async function load() {
  try {
    state = await api("/api/queue");
  } catch (error) {
    say(error.message);
    return;
  }
  fillSelect("filter-practice", state.practices);
  fillSelect("filter-item", [...new Set(state.entries.map((e) => e.item_id))].sort());
  fillSelect("filter-source", [...new Set(state.entries.map((e) => e.source))].sort());
  render();
}

async function pollRun() {
  const run = await api("/api/run").catch(() => ({ state: "idle" }));
  const bar = document.getElementById("run-progress");
  const tail = document.getElementById("run-tail");
  if (run.state === "idle") return;
  bar.hidden = false;
  bar.value = run.percent;
  tail.hidden = false;
  tail.textContent = run.tail.join("\n");
  document.getElementById("run-state").textContent =
    `Run ${run.state}${run.steps ? ": " + run.steps + " steps" : ""} (log: ${run.log})`;
  if (run.state === "running") {
    runTimer = setTimeout(pollRun, 2000);
  } else {
    runTimer = null;
    await load();
  }
}

async function startRun() {
  try {
    await api("/api/run", {});
  } catch (error) {
    say(error.message);
    return;
  }
  if (!runTimer) pollRun();
}

function focusEntry(index) {
  const cards = document.querySelectorAll("#queue .entry");
  if (!cards.length) return;
  current = Math.max(0, Math.min(index, cards.length - 1));
  cards[current].focus();
}

function currentEntry() {
  const node = document.querySelectorAll("#queue .entry")[current];
  return node && state.entries.find((e) => e.entry_id === node.dataset.id);
}

document.addEventListener("keydown", (event) => {
  if (event.target.closest && event.target.closest("select, input, textarea")) return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const entry = currentEntry();
  const node = document.querySelectorAll("#queue .entry")[current];
  const click = (selector) => { const b = node && node.querySelector(selector); if (b) b.click(); };
  switch (event.key) {
    case "j": focusEntry(current + 1); break;
    case "k": focusEntry(current - 1); break;
    case "h": click("button.hear"); break;
    case "a": if (entry && entry.fits.includes("allow")) click("button.do-allow"); break;
    case "r": if (entry && entry.fits.includes("release")) click("button.do-release"); break;
    case "p": click("button.do-person"); break;
    case "m": if (node && node.querySelector("select.person-target")) node.querySelector("select.person-target").focus(); break;
    case "u": {
      const last = state && state.decisions.find((row) => !row.undone_at);
      if (last) undo(last.decision_id);
      break;
    }
    default: return;
  }
  event.preventDefault();
});

document.addEventListener("DOMContentLoaded", () => {
  for (const id of ["filter-practice", "filter-item", "filter-source", "show-decided"]) {
    document.getElementById(id).addEventListener("change", render);
  }
  document.getElementById("start-run").addEventListener("click", startRun);
  load().then(pollRun);
});
