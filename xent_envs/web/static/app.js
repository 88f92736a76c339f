// The xent-envs page: play games and read results through the server's JSON API.
// Every text from the server (game texts, moves, file names, messages) is written with
// textContent or as an attribute value, never parsed as markup.
"use strict";

const $ = (id) => document.getElementById(id);
const STORE_KEY = "xent-play";       // sessionStorage: the game of this tab
const SATURATION_BITS = 4;           // a token paying this many bits gets the full colour
const PALETTE = ["#2450a6", "#d97706", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#4b5563"];

let info = null;            // /api/info
let games = [];             // /api/games
let play = null;            // {session, start, view}: the game of this tab
let currentRun = null;      // the results folder shown
let countTimer = null;

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    throw new ApiError(0, "unreachable", "The server cannot be reached: is `xent-envs serve` running?");
  }
  let data = null;
  try {
    data = await response.json();
  } catch (err) {
    throw new ApiError(response.status, "bad_answer", `The server answered ${response.status} without JSON.`);
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || "error", error.message || `HTTP ${response.status}`);
  }
  return data;
}

// ------------------------------------------------------------------ small helpers
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

function num(value) {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function bits(value, digits = 2) {
  const x = num(value);
  if (x === null) return "–";
  return `${x >= 0 ? "+" : ""}${x.toFixed(digits)}`;
}

function fixed(value, digits = 1) {
  const x = num(value);
  return x === null ? "–" : x.toFixed(digits);
}

function showMessage(text, options = {}) {
  const box = $("message");
  $("message-text").textContent = text;
  box.className = options.info ? "info" : "";
  const action = $("message-action");
  action.hidden = !options.action;
  if (options.action) {
    action.textContent = options.action.label;
    action.onclick = () => { hideMessage(); options.action.run(); };
  }
  box.hidden = false;
}

function hideMessage() {
  $("message").hidden = true;
}

function selectTab(name) {
  for (const tab of ["play", "results"]) {
    $(`tab-${tab}`).setAttribute("aria-selected", String(tab === name));
    $(`${tab}-view`).hidden = tab !== name;
  }
  if (name === "results") loadRuns();
}

// ------------------------------------------------------------------ heatmaps
function tokenColour(value) {
  const strength = Math.min(1, Math.abs(value) / SATURATION_BITS);
  return value >= 0 ? `rgba(22, 163, 74, ${strength.toFixed(3)})` : `rgba(220, 38, 38, ${strength.toFixed(3)})`;
}

function heatmap(term) {
  const box = el("div", { class: "heat" });
  const tokens = term.tokens || [];
  const values = term.bits || [];
  tokens.forEach((token, i) => {
    const value = num(values[i]) ?? 0;
    const span = el("span", {
      class: "tok",
      title: `${JSON.stringify(token)}: ${bits(value, 3)} bits`,
      dataset: { bits: String(value) },
    }, token);
    span.style.backgroundColor = tokenColour(value);
    box.append(span);
  });
  return box;
}

function renderStep(step, showSeat) {
  const head = [];
  head.push(`Round ${step.round + 1}`);
  if (showSeat) head.push(` · ${step.seat}`);
  if (step.register) head.push(` writes ${step.register}`);
  head.push(": ");
  const item = el("li", { class: "step", dataset: { seat: step.seat } }, head.join(""));
  if (step.move === null || step.move === undefined) {
    item.append(el("span", { class: "refused" }, step.invalid_action ? "(rejected)" : "(no move)"));
  } else {
    item.append(el("span", { class: "move" }, step.move));
  }
  item.append(" → ", el("strong", { class: "reward" }, `${bits(step.reward)} bits`));
  if (step.cut) item.append(el("span", { class: "meta" }, " (cut to the budget)"));
  if (step.ensure_failed) {
    item.append(el("div", { class: "refused" }, `Refused by the rules: ${step.reason || ""}`));
  } else if (step.invalid_action) {
    item.append(el("div", { class: "refused" }, `Rejected: ${step.reason || ""}`));
  }
  if (step.observation) {
    item.append(el("details", { class: "observation" }, el("summary", {}, "What the player read"),
      el("pre", {}, step.observation)));
  }
  for (const term of step.reward_terms || []) {
    item.append(el("div", { class: "term" },
      el("div", { class: "term-label" }, `line ${term.line}: ${bits(term.total)} bits over ${(term.tokens || []).length} tokens`),
      heatmap(term)));
  }
  return item;
}

function renderSteps(list, steps, showSeat) {
  clear(list);
  for (const step of steps || []) list.append(renderStep(step, showSeat));
}

// ------------------------------------------------------------------ play: the form
function gameByName(name) {
  return games.find((g) => g.name === name);
}

function fillSeats() {
  const game = gameByName($("game").value);
  const seat = $("seat");
  clear(seat);
  for (const s of (game && game.seats) || []) {
    seat.append(el("option", { value: s.seat }, `${s.seat} (at most ${s.budget} tokens)`));
  }
  $("opponent").disabled = !game || game.seats.length < 2;
  $("game-summary").textContent = game ? `${game.summary} Players: ${game.players.join(", ")}.` : "";
}

async function loadGames() {
  const data = await api("GET", "/api/games");
  games = data.games;
  const select = clear($("game"));
  for (const g of games) select.append(el("option", { value: g.name }, g.name));
  fillSeats();
}

function startRequest() {
  const source = document.querySelector('input[name="source"]:checked').value;
  const request = { game: $("game").value, seat: $("seat").value || null, opponent: $("opponent").value };
  const integer = (id) => Number.parseInt($(id).value, 10);
  if (source === "map") {
    request.map = integer("map-number");
    request.folder = $("record-folder").value.trim() || null;
    request.player = $("player").value.trim();
  } else if (source === "seed") {
    request.seed = integer("seed");
  } else if (source === "instance") {
    request.instance = $("instance").value.trim();
    delete request.game;
  } else {
    request.sampled = integer("sampled");
    delete request.game;
    delete request.seat;
  }
  return request;
}

function remember() {
  if (play) {
    sessionStorage.setItem(STORE_KEY, JSON.stringify({
      session: play.session, start: play.start, moves: play.view ? play.view.moves : [],
      server: info ? info.server_id : null,
      ended: Boolean(play.view && ["over", "failed"].includes(play.view.state)),
    }));
  } else {
    sessionStorage.removeItem(STORE_KEY);
  }
}

async function startGame(request) {
  hideMessage();
  $("resume-box").hidden = true;
  $("start").disabled = true;
  $("status").textContent = "Starting: the judge writes the map...";
  try {
    const view = await api("POST", "/api/play", request);
    play = { session: view.session, start: { ...request, replay: [], take_over: false }, view };
    remember();
    renderPlay();
    await settle();
  } catch (err) {
    if (err.code === "map_in_play") {
      showMessage(err.message, { action: { label: "Take it over here", run: () => startGame({ ...request, take_over: true }) } });
    } else {
      showMessage(err.message);
    }
  } finally {
    $("start").disabled = false;
  }
}

// ------------------------------------------------------------------ play: the game
function renderPlay() {
  const view = play && play.view;
  $("game-panel").hidden = !view;
  $("start-form").hidden = Boolean(view);
  if (!view) return;
  $("game-title").textContent = view.game ? `${view.game}` : "Starting...";
  const where = view.recorded ? `recorded in ${view.recorded.folder} as ${view.recorded.agent}` : "practice (not recorded)";
  const seats = (view.seats || []).length > 1 ? ` · others: ${view.opponent}` : "";
  const round = view.rounds ? ` · round ${Math.min(view.round + 1, view.rounds)}/${view.rounds}` : "";
  $("game-meta").textContent = `${view.source} · seat ${view.seat || ""}${seats}${round} · ${where}`;
  $("rules").textContent = view.rules || "";
  const visible = clear($("visible"));
  for (const [name, text] of Object.entries(view.visible || {})) {
    visible.append(el("dt", {}, name), el("dd", { dataset: { register: name } }, text));
  }
  if (!Object.keys(view.visible || {}).length) visible.append(el("dd", {}, "(nothing yet)"));
  const feedback = $("feedback");
  feedback.hidden = !view.feedback;
  feedback.textContent = view.feedback || "";
  const asked = view.state === "your_move";
  $("move-form").hidden = !asked;
  $("play-move").disabled = !asked;
  $("move-prompt").textContent = asked ? `(write ${view.register} in at most ${view.max_tokens} tokens)` : "";
  const states = {
    starting: "Starting...",
    thinking: "The other seats are moving...",
    your_move: "Your move.",
    over: "The game is over.",
    failed: "The game stopped.",
  };
  $("status").textContent = states[view.state] || view.state;
  const scores = (view.round_scores || []).map((s, i) => `round ${i + 1}: ${bits(s)}`).join(" · ");
  $("round-scores").textContent = scores ? `Bits per round: ${scores}` : "";
  renderSteps($("steps"), view.steps, false);
  const over = view.state === "over" || view.state === "failed";
  $("final").hidden = !over;
  $("leave").hidden = over;
  if (over) {
    $("final-score").textContent = view.state === "over" ? `Map score (best round): ${bits(view.map_score)} bits` : "";
    $("final-saved").textContent = view.message || "";
    if (view.state === "failed") showMessage(view.message || "The game stopped.");
  }
  const everySeat = Boolean(view.transcript) && (view.seats || []).length > 1;
  $("transcript-box").hidden = !everySeat;
  if (everySeat) renderSteps($("transcript"), view.transcript, true);
}

async function settle() {
  // Poll while the server builds the map or the other seats move (each poll waits up to 10 s).
  for (let i = 0; i < 120 && play && ["starting", "thinking"].includes(play.view.state); i++) {
    try {
      play.view = await api("GET", `/api/play/${play.session}?wait=10`);
    } catch (err) {
      handlePlayError(err);
      return;
    }
    remember();
    renderPlay();
  }
}

async function refreshPlay() {
  try {
    play.view = await api("GET", `/api/play/${play.session}`);
    remember();
    renderPlay();
    await settle();
  } catch (err) {
    handlePlayError(err);
  }
}

function handlePlayError(err) {
  if (err.code === "unknown_session") {
    offerResume();
  } else if (err.code === "not_your_turn") {
    showMessage(err.message);
    refreshPlay();
  } else {
    showMessage(err.message);
  }
}

async function offerResume() {
  const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
  if (saved && saved.ended) {  // nothing to resume: a finished map's record is on disk
    newGame();
    showMessage("The server no longer holds your last game, which had ended; a recorded map stays in its results folder.", { info: true });
    return;
  }
  let restarted = false;
  try {
    const now = await api("GET", "/api/info");
    restarted = Boolean(saved && saved.server && now.server_id !== saved.server);
    info = now;
  } catch (err) { /* the server is still away: the message says so */ }
  const moves = (saved && saved.moves) || [];
  const why = restarted
    ? "The server was restarted, and this game was not kept."
    : "The server no longer holds this game: it was closed after being idle, or taken over in another tab.";
  $("resume-text").textContent = moves.length
    ? `Your ${moves.length} move(s) so far can be replayed on the same map.`
    : "It can be started again on the same map.";
  $("resume-box").hidden = !saved;
  $("game-panel").hidden = true;
  $("start-form").hidden = true;
  showMessage(`${why} Maps already finished are saved.`);
}

async function resume() {
  const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
  if (!saved) return;
  play = null;
  await startGame({ ...saved.start, replay: saved.moves || [] });
}

async function sendMove(event) {
  event.preventDefault();
  if (!play || play.view.state !== "your_move") return;
  const text = $("move").value;
  $("play-move").disabled = true;
  $("status").textContent = "Playing your move...";
  try {
    play.view = await api("POST", `/api/play/${play.session}/move`, { text, version: play.view.version });
    $("move").value = "";
    $("token-count").textContent = "";
    hideMessage();
    remember();
    renderPlay();
    await settle();
  } catch (err) {
    $("play-move").disabled = false;
    $("status").textContent = "Your move.";
    handlePlayError(err);
  }
}

async function countTokens() {
  if (!play || play.view.state !== "your_move") return;
  const text = $("move").value;
  try {
    const data = await api("POST", `/api/play/${play.session}/count`, { text });
    const counter = $("token-count");
    if (data.problem) {
      counter.textContent = data.problem;
      counter.className = "over";
    } else if (data.tokens !== null) {
      counter.textContent = `${data.tokens} / ${data.max_tokens} tokens`;
      counter.className = data.tokens > data.max_tokens ? "over" : "";
    }
  } catch (err) { /* the count is a help; the move itself reports errors */ }
}

async function leaveGame() {
  if (play) {
    try { await api("DELETE", `/api/play/${play.session}`); } catch (err) { /* gone already */ }
  }
  newGame();
}

function newGame() {
  play = null;
  remember();
  hideMessage();
  $("resume-box").hidden = true;
  renderPlay();
  $("start-form").hidden = false;
}

// ------------------------------------------------------------------ results
async function loadRuns() {
  try {
    const data = await api("GET", "/api/runs");
    const list = clear($("run-list"));
    const links = clear($("runs"));
    for (const name of data.runs) {
      list.append(el("option", { value: name }));
      links.append(el("li", {}, el("button", { type: "button", onclick: () => openRun(name) }, name)));
    }
    $("runs-note").textContent = data.runs.length ? `runs under ${data.root}/` : `no run folder under ${data.root}/ yet`;
  } catch (err) {
    showMessage(err.message);
  }
}

function cell(text, cls) {
  return el("td", { class: cls }, text);
}

function table(node, headers, rows) {
  clear(node);
  node.append(el("thead", {}, el("tr", {}, headers.map((h) => el("th", { class: h.num ? "num" : null }, h.label)))));
  const body = el("tbody");
  for (const row of rows) body.append(row);
  node.append(body);
}

function isHuman(run, agent) {
  const spec = run.agents[agent];
  return Boolean(spec && spec.source === "human");
}

function renderRun(data) {
  currentRun = data;
  $("map-panel").hidden = true;
  $("run-panel").hidden = false;
  $("run-title").textContent = data.folder;
  const run = data.run;
  $("run-meta").textContent = `run ${run.key} · judge ${run.judge} (${run.judge_fingerprint.model || ""}, ${run.judge_fingerprint.dtype || ""}) · seed ${run.seed} · split ${run.split} · ${data.maps.length} maps`;
  const skipped = $("skipped");
  skipped.hidden = !data.skipped.length;
  const skippedList = clear($("skipped-list"));
  for (const s of data.skipped) skippedList.append(el("li", {}, el("code", {}, s.path), `: ${s.reason}`));

  const board = data.leaderboard;
  const ci = Math.round(board.confidence * 100);
  table($("leaderboard"), [
    { label: "#" }, { label: "agent" }, { label: "score", num: true }, { label: `${ci}% CI`, num: true },
    { label: "bits", num: true }, { label: "maps", num: true }, { label: "errors", num: true },
    { label: "s/move", num: true }, { label: "tokens/move", num: true },
  ], board.rows.map((r, i) => el("tr", { class: isHuman(run, r.agent) ? "human" : null, dataset: { agent: r.agent } },
    cell(i + 1), el("td", { class: "agent" }, r.agent, isHuman(run, r.agent) ? el("span", { class: "tag" }, "person") : null),
    cell(fixed(r.score), "num"), cell(num(r.ci_low) === null ? "–" : `${fixed(r.ci_low)}–${fixed(r.ci_high)}`, "num"),
    cell(bits(r.raw_bits), "num"), cell(r.maps, "num"), cell(r.errors, "num"),
    cell(fixed(r.seconds_per_move, 2), "num"), cell(fixed(r.tokens_per_move), "num"))));

  table($("per-game"), [{ label: "agent" }, ...board.games.map((g) => ({ label: g, num: true }))],
    board.rows.map((r) => el("tr", {}, cell(r.agent), board.games.map((g) =>
      cell(`${fixed(r.per_game[g])} (${bits(r.per_game_bits[g])} bits)`, "num")))));

  renderCurves(data.curves);

  table($("maps"), [{ label: "game" }, { label: "map", num: true }, { label: "agent" }, { label: "seats" },
    { label: "score (bits)", num: true }, { label: "" }],
  data.maps.map((m) => el("tr", { dataset: { game: m.game, map: m.map, agent: m.agent } },
    cell(m.game), cell(m.map, "num"), cell(m.agent), cell(Object.keys(m.seats).join(", ")),
    cell(m.status === "ok" ? bits(m.score) : `error: ${m.error || ""}`, "num"),
    el("td", {}, el("button", { type: "button", onclick: () => openMap(data.folder, m) }, "transcript")))));
}

function renderCurves(curves) {
  const box = clear($("curves"));
  const ns = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    return node;
  };
  for (const [game, agents] of Object.entries(curves)) {
    const series = Object.entries(agents);
    const values = series.flatMap(([, ys]) => ys.map(num).filter((y) => y !== null));
    if (!values.length) continue;
    const rounds = Math.max(...series.map(([, ys]) => ys.length));
    let lo = Math.min(0, ...values);
    let hi = Math.max(0, ...values);
    if (hi - lo < 1e-9) hi = lo + 1;
    const W = 320, H = 180, L = 44, B = 26, T = 10, R = 10;
    const x = (r) => L + (rounds > 1 ? (r * (W - L - R)) / (rounds - 1) : (W - L - R) / 2);
    const y = (v) => T + ((hi - v) * (H - T - B)) / (hi - lo);
    const chart = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img" });
    const title = svg("title", {});
    title.textContent = `${game}: mean score of each round`;
    chart.append(title);
    chart.append(svg("line", { x1: L, x2: W - R, y1: y(0), y2: y(0), stroke: "#d9dee4" }));
    for (const v of [lo, hi]) {
      const label = svg("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end", "font-size": 10, fill: "#616e7c" });
      label.textContent = bits(v, 1);
      chart.append(label);
    }
    for (let r = 0; r < rounds; r++) {
      const label = svg("text", { x: x(r), y: H - 8, "text-anchor": "middle", "font-size": 10, fill: "#616e7c" });
      label.textContent = `round ${r + 1}`;
      chart.append(label);
    }
    const legend = el("div", { class: "curve-legend" });
    series.forEach(([agent, ys], i) => {
      const colour = PALETTE[i % PALETTE.length];
      const points = ys.map((v, r) => [x(r), y(num(v) ?? 0)]);
      if (points.length > 1) {
        chart.append(svg("polyline", { points: points.map((p) => p.join(",")).join(" "), fill: "none", stroke: colour, "stroke-width": 2 }));
      }
      for (const [px, py] of points) chart.append(svg("circle", { cx: px, cy: py, r: 3, fill: colour }));
      const swatch = el("span", { class: "swatch" });
      swatch.style.backgroundColor = colour;
      legend.append(swatch, agent);
    });
    box.append(el("div", { class: "curve", dataset: { game } }, el("div", {}, game), chart, legend));
  }
  if (!box.firstChild) box.append(el("p", { class: "meta" }, "No finished map yet."));
}

async function openRun(name) {
  hideMessage();
  $("results-folder").value = name;
  try {
    renderRun(await api("GET", `/api/results?folder=${encodeURIComponent(name)}`));
  } catch (err) {
    $("run-panel").hidden = true;
    $("map-panel").hidden = true;
    showMessage(err.message);
  }
}

async function openMap(folder, m) {
  hideMessage();
  const query = new URLSearchParams({ folder, game: m.game, map: String(m.map), agent: m.agent });
  try {
    const data = await api("GET", `/api/results/map?${query}`);
    const record = data.record;
    $("run-panel").hidden = true;
    $("map-panel").hidden = false;
    $("map-title").textContent = `${record.game}, map ${record.map}, ${record.agent}`;
    const seats = Object.entries(record.seats).map(([s, a]) => `${s}: ${a}`).join(", ");
    const score = record.status === "ok" ? `${bits(record.score)} bits (best round)` : `error: ${record.error ? record.error.message : ""}`;
    $("map-meta").textContent = `${score} · seats ${seats} · instance ${record.instance_id || "?"}`;
    const steps = record.rounds.flatMap((r) => r.steps);
    renderSteps($("map-steps"), steps, true);
    $("play-this-map").onclick = () => playRunMap(folder, record.game, record.map);
  } catch (err) {
    showMessage(err.message);
  }
}

function playRunMap(folder, game, index) {
  selectTab("play");
  if (play) newGame();
  $("game").value = game;
  fillSeats();
  document.querySelector('input[name="source"][value="map"]').checked = true;
  $("map-number").value = index;
  $("record-folder").value = folder;
}

// ------------------------------------------------------------------ start
async function init() {
  $("tab-play").addEventListener("click", () => selectTab("play"));
  $("tab-results").addEventListener("click", () => selectTab("results"));
  $("message-close").addEventListener("click", hideMessage);
  $("game").addEventListener("change", fillSeats);
  $("start-form").addEventListener("submit", (e) => { e.preventDefault(); startGame(startRequest()); });
  $("move-form").addEventListener("submit", sendMove);
  $("move").addEventListener("input", () => { clearTimeout(countTimer); countTimer = setTimeout(countTokens, 250); });
  $("move").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("move-form").requestSubmit(); }
  });
  $("leave").addEventListener("click", leaveGame);
  $("new-game").addEventListener("click", newGame);
  $("resume").addEventListener("click", resume);
  $("forget").addEventListener("click", newGame);
  $("results-form").addEventListener("submit", (e) => { e.preventDefault(); openRun($("results-folder").value.trim()); });
  $("back-to-run").addEventListener("click", () => { $("map-panel").hidden = true; $("run-panel").hidden = !currentRun; });
  try {
    info = await api("GET", "/api/info");
    await loadGames();
  } catch (err) {
    showMessage(err.message);
    return;
  }
  $("server-note").textContent = `judge ${info.judge.name} · results ${info.results_root}/`;
  $("record-folder").value = info.play_folder;
  const opponent = clear($("opponent"));
  for (const name of info.opponents) opponent.append(el("option", { value: name }, name));
  $("sampled-choice").hidden = !info.sampling;
  const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
  if (saved) {
    play = { session: saved.session, start: saved.start, view: { state: "starting", moves: saved.moves } };
    await refreshPlay();
  }
}

document.addEventListener("DOMContentLoaded", init);
