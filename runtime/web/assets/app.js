// The page's script: it polls GET /api/group (every worker of the group
// and each one's GET /status, see group.go and livestatus.go) and redraws
// the sections from it; the table browser reads the table routes
// (/tables/...). Plain DOM, no library, no build step.
"use strict";

const POLL_MS = 2000;
const PAGE_SIZE = 50; // partitions per page of a topic
const AUTO_OPEN = 64; // topics start open when the app has at most this many partitions

const app = document.body.dataset.app;
const topicOpen = new Map(); // topic → open, once the user toggled it
const topicPage = new Map(); // topic → page shown
let lastRows = []; // the partitions of the last Group, to redraw on a click

// h builds an element: h("td", {class: "num"}, "12", child...). Strings
// become text nodes, so nothing from the JSON is parsed as HTML.
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v == null) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) {
    if (kid == null || kid === false) continue;
    el.append(kid instanceof Node ? kid : String(kid));
  }
  return el;
}

function svgEl(tag, attrs) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

const num = (n) => (n == null || n < 0 ? "?" : Math.round(n).toLocaleString("en-US"));
const rate = (x) => (x == null ? "–" : x < 10 ? x.toFixed(1) : Math.round(x).toLocaleString("en-US"));
const ms = (x) => (x < 10 ? x.toFixed(2) : Math.round(x).toLocaleString("en-US")) + " ms";

// ranges writes partition numbers compactly: [0,1,2,5] → "0-2,5".
function ranges(ns) {
  ns = [...ns].sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i < ns.length; i++) {
    let j = i;
    while (j + 1 < ns.length && ns[j + 1] === ns[j] + 1) j++;
    out.push(j > i ? `${ns[i]}-${ns[j]}` : `${ns[i]}`);
    i = j;
  }
  return out.join(",");
}

// byTopic groups "topic/partition" strings or {topic, partition}
// objects: "orders 0-3 · tallies 1".
function byTopic(parts) {
  const m = new Map();
  for (const p of parts) {
    let topic = p.topic, n = p.partition;
    if (typeof p === "string") {
      const i = p.lastIndexOf("/");
      topic = p.slice(0, i);
      n = Number(p.slice(i + 1));
    }
    if (!m.has(topic)) m.set(topic, []);
    m.get(topic).push(n);
  }
  return [...m].sort().map(([t, ns]) => `${t} ${ranges(ns)}`).join(" · ");
}

function showError(msg) {
  const el = document.getElementById("error");
  el.textContent = msg;
  el.hidden = !msg;
}

async function poll() {
  try {
    const r = await fetch("/api/group", { cache: "no-store" });
    if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
    render(await r.json());
    showError("");
  } catch (e) {
    showError(`Cannot read /api/group: ${e.message}. Retrying.`);
  }
  setTimeout(poll, POLL_MS);
}

// render redraws every live section from a Group.
function render(g) {
  const live = g.members.filter((m) => m.status);
  if (g.error) showError(g.error);
  document.getElementById("updated").textContent = "updated " + new Date(g.time).toLocaleTimeString("en-GB");
  const self = g.members.find((m) => m.self);
  const ready = document.getElementById("ready");
  ready.textContent = self && self.status.ready ? "ready" : "not ready";
  ready.className = "badge " + (self && self.status.ready ? "ok" : "warn");
  ready.title = self ? (self.status.waiting || []).join("; ") : "";

  const rows = partitionRows(g.members);
  const agents = agentTotals(live);
  renderSummary(g, rows, agents);
  renderTopology(agents);
  renderMembers(g.members);
  renderRestores(live);
  lastRows = rows;
  renderPartitions(rows);
  renderCommits(live);
  renderDeadLetters(live);
}

// partitionRows lists every input partition of the group: from each
// worker's status, or, for a worker that does not answer, from the
// group's assignment (nothing known but its owner).
function partitionRows(members) {
  const rows = [];
  for (const m of members) {
    if (m.status) {
      for (const p of m.status.partitions || []) {
        const restores = (m.status.restores || []).filter((r) => r.partition === p.partition);
        rows.push({ ...p, member: m.url, restores });
      }
    } else {
      for (const s of m.assigned || []) {
        const i = s.lastIndexOf("/");
        rows.push({ topic: s.slice(0, i), partition: Number(s.slice(i + 1)), member: m.url || m.client_ids.join(", "),
          lag: -1, position: -1, high_watermark: -1, per_sec: null, unreachable: true, restores: [] });
      }
    }
  }
  return rows;
}

// agentTotals sums each agent's counters and rates over the workers.
function agentTotals(live) {
  const out = new Map();
  for (const m of live) {
    for (const a of m.status.agents || []) {
      const t = out.get(a.agent) || { processed: 0, emitted: 0, dead: 0, in: null, out: null };
      t.processed += a.processed;
      t.emitted += a.emitted;
      t.dead += a.dead_letters;
      if (a.in_per_sec != null) t.in = (t.in || 0) + a.in_per_sec;
      if (a.out_per_sec != null) t.out = (t.out || 0) + a.out_per_sec;
      out.set(a.agent, t);
    }
  }
  return out;
}

function renderSummary(g, rows, agents) {
  let lag = 0, unknown = 0, restoring = 0;
  for (const r of rows) {
    if (r.restoring) restoring++;
    else if (r.lag >= 0) lag += r.lag;
    else unknown++;
  }
  let inRate = null, processed = 0, dead = 0;
  for (const a of agents.values()) {
    if (a.in != null) inRate = (inRate || 0) + a.in;
    processed += a.processed;
    dead += a.dead;
  }
  const set = (id, text, title) => {
    const el = document.getElementById(id);
    el.textContent = text;
    el.title = title || "";
  };
  set("total-lag", num(lag) + (unknown ? "+?" : ""), unknown ? `${unknown} partitions' lag not known yet` : "");
  set("total-rate", rate(inRate));
  set("total-processed", num(processed));
  set("total-dead", num(dead));
  set("total-members", g.members.length);
  set("total-restoring", restoring);
}

// renderTopology writes each agent's rates under its box in the picture.
function renderTopology(agents) {
  const svg = document.querySelector("#topology svg");
  if (!svg) return;
  svg.setAttribute("overflow", "visible");
  for (const g of svg.querySelectorAll("g")) {
    const title = g.querySelector("title");
    if (!title || !title.textContent.startsWith("agent ")) continue;
    const name = title.textContent.slice("agent ".length);
    g.dataset.agent = name;
    const a = agents.get(`${app}/${name}`);
    let text = g.querySelector("text.rate");
    if (!text) {
      const box = g.querySelector("rect");
      const x = Number(box.getAttribute("x")), y = Number(box.getAttribute("y")) + Number(box.getAttribute("height"));
      text = svgEl("text", { class: "rate", x: x + 2, y: y + 12, "font-size": "10" });
      g.append(text);
    }
    text.textContent = a ? `in ${rate(a.in)}/s · out ${rate(a.out)}/s` : "idle";
  }
}

function renderMembers(members) {
  const body = document.querySelector("#members tbody");
  body.replaceChildren(...members.map((m) => {
    const st = m.status;
    let state = m.error || "";
    if (st) state = st.ready ? "ready" : "not ready: " + (st.waiting || []).join("; ");
    const threads = st ? `${st.threads.filter((t) => t.joined).length}/${st.threads.length} joined` : "";
    const standbys = st ? (st.stores || []).filter((s) => s.standby) : [];
    const standbyText = standbys.length
      ? byTopic(standbys.map((s) => ({ topic: s.table, partition: s.partition }))) +
        ` (lag ${num(standbys.reduce((n, s) => n + Math.max(s.lag_records, 0), 0))})`
      : "–";
    const restoring = st ? st.threads.reduce((n, t) => n + t.restoring, 0) : 0;
    const link = m.url ? h("a", { href: m.url + "/" }, m.url) : m.client_ids.join(", ");
    return h("tr", { class: "member" + (m.reachable ? "" : " down") },
      h("td", {}, link, m.self ? h("span", { class: "badge" }, "this one") : null),
      h("td", {}, m.reachable ? state : h("span", { class: "bad" }, state)),
      h("td", {}, threads),
      h("td", { class: "parts" }, byTopic(m.assigned || []) || "–"),
      h("td", { class: "parts" }, standbyText),
      h("td", { class: "num" }, restoring));
  }));
}

function bar(pct) {
  return h("span", { class: "bar" }, h("progress", { max: 100, value: pct.toFixed(1) }), ` ${pct.toFixed(0)}%`);
}

function renderRestores(live) {
  const rows = [];
  for (const m of live) {
    for (const r of m.status.restores || []) {
      rows.push(h("tr", {},
        h("td", {}, r.table), h("td", { class: "num" }, r.partition), h("td", {}, m.url),
        h("td", {}, bar(r.percent)),
        h("td", { class: "num" }, `${num(r.records)} of ${num(r.records + r.remaining)}`),
        h("td", { class: "num" }, rate(r.rate) + "/s"),
        h("td", {}, r.error ? h("span", { class: "bad" }, `attempt ${r.attempt + 1}: ${r.error}`) : r.rebuilt || "")));
    }
  }
  document.getElementById("restores-section").hidden = rows.length === 0;
  document.querySelector("#restores tbody").replaceChildren(...rows);
}

// renderPartitions draws one collapsible block per topic: a summary line,
// and when open, a page of its partitions.
function renderPartitions(rows) {
  const topics = new Map();
  for (const r of rows) {
    if (!topics.has(r.topic)) topics.set(r.topic, []);
    topics.get(r.topic).push(r);
  }
  const blocks = [];
  for (const [topic, ps] of [...topics].sort()) {
    ps.sort((a, b) => a.partition - b.partition);
    let lag = 0, unknown = 0, perSec = null, restoring = 0;
    for (const p of ps) {
      if (p.restoring) restoring++;
      if (p.lag >= 0) lag += p.lag; else unknown++;
      if (p.per_sec != null) perSec = (perSec || 0) + p.per_sec;
    }
    const open = topicOpen.has(topic) ? topicOpen.get(topic) : rows.length <= AUTO_OPEN;
    const details = h("details", { "data-topic": topic, open, ontoggle: (e) => toggled(topic, e.target.open) },
      h("summary", {}, h("b", {}, topic), ` · ${ps.length} partitions · lag ${num(lag)}${unknown ? "+?" : ""} · ${rate(perSec)} records/s` +
        (restoring ? ` · ${restoring} restoring` : "")));
    if (open) details.append(partitionPage(topic, ps));
    blocks.push(details);
  }
  document.getElementById("partitions").replaceChildren(...blocks);
}

// toggled remembers a topic opened or closed, and redraws the partitions
// when that changes what is shown.
function toggled(topic, open) {
  if (topicOpen.get(topic) === open) return;
  topicOpen.set(topic, open);
  renderPartitions(lastRows);
}

function partitionPage(topic, ps) {
  const pages = Math.ceil(ps.length / PAGE_SIZE);
  const page = Math.min(topicPage.get(topic) || 0, pages - 1);
  const shown = ps.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
  const table = h("table", { class: "partitions" },
    h("thead", {}, h("tr", {}, ["partition", "worker", "thread", "state", "lag", "position", "end", "records/s"].map((c) => h("th", {}, c)))),
    h("tbody", {}, shown.map((p) => {
      let state = p.restoring ? "restoring" : "running";
      if (p.unreachable) state = h("span", { class: "bad" }, "worker not answering");
      else if (p.restoring && p.restores.length) {
        state = bar(Math.min(...p.restores.map((r) => r.percent)));
      }
      return h("tr", {},
        h("td", { class: "num" }, p.partition), h("td", {}, p.member), h("td", { class: "num" }, p.thread ?? ""),
        h("td", {}, state), h("td", { class: "num lag" }, num(p.lag)), h("td", { class: "num" }, num(p.position)),
        h("td", { class: "num" }, num(p.high_watermark)), h("td", { class: "num" }, rate(p.per_sec)));
    })));
  if (pages <= 1) return table;
  const go = (n) => () => { topicPage.set(topic, n); renderPartitions(lastRows); };
  return h("div", {}, table, h("div", { class: "pager" },
    h("button", { type: "button", disabled: page === 0, onclick: go(page - 1) }, "previous"),
    ` page ${page + 1} of ${pages} `,
    h("button", { type: "button", disabled: page === pages - 1, onclick: go(page + 1) }, "next")));
}

// renderCommits sums the workers' commit buckets and draws them.
function renderCommits(live) {
  const buckets = new Map();
  for (const m of live) {
    for (const b of m.status.commits.buckets) {
      const t = buckets.get(b.start) || { start: b.start, commits: 0, errors: 0, aborts: 0, sum: 0, max: 0 };
      t.commits += b.commits; t.errors += b.errors; t.aborts += b.aborts;
      t.sum += b.avg_ms * b.commits; t.max = Math.max(t.max, b.max_ms);
      buckets.set(b.start, t);
    }
  }
  const bs = [...buckets.values()].sort((a, b) => (a.start < b.start ? -1 : 1));
  const total = bs.reduce((n, b) => n + b.commits, 0);
  const el = document.getElementById("commits");
  if (total === 0) {
    el.replaceChildren(h("p", { class: "muted" }, "No commits in the last minutes: nothing was processed."));
    return;
  }
  const aborts = bs.reduce((n, b) => n + b.aborts, 0), errors = bs.reduce((n, b) => n + b.errors, 0);
  const mean = bs.reduce((n, b) => n + b.sum, 0) / total, worst = Math.max(...bs.map((b) => b.max));
  const W = 600, H = 80, bw = W / bs.length;
  const top = Math.max(...bs.map((b) => (b.commits ? b.sum / b.commits : 0)), 1e-3);
  const svg = svgEl("svg", { width: W, height: H + 14, viewBox: `0 0 ${W} ${H + 14}`, class: "chart" });
  bs.forEach((b, i) => {
    if (!b.commits) return;
    const avg = b.sum / b.commits, bh = Math.max(2, (avg / top) * (H - 10));
    const r = svgEl("rect", { x: i * bw + 1, y: H - bh, width: bw - 2, height: bh, fill: "#60a5fa" });
    r.append(svgEl("title", {}));
    r.firstChild.textContent = `${new Date(b.start).toLocaleTimeString("en-GB")}: ${b.commits} commits, mean ${ms(avg)}, max ${ms(b.max)}, ${b.aborts} aborted`;
    svg.append(r);
    if (b.aborts) svg.append(svgEl("circle", { cx: i * bw + bw / 2, cy: 5, r: 4, fill: "#dc2626" }));
  });
  const label = svgEl("text", { x: 0, y: H + 12, "font-size": 10, fill: "#64748b" });
  label.textContent = `${bs[0] ? new Date(bs[0].start).toLocaleTimeString("en-GB") : ""} … now; top: ${ms(top)}`;
  svg.append(label);
  el.replaceChildren(h("p", {}, `${num(total)} commits, mean ${ms(mean)}, longest ${ms(worst)}, `,
    h("span", { class: aborts ? "bad" : "" }, `${aborts} transactions aborted`), errors > aborts ? `, ${errors - aborts} other failures` : ""), svg);
}

// renderDeadLetters lists each agent's last dead letters, newest first.
function renderDeadLetters(live) {
  const byAgent = new Map();
  for (const m of live) {
    for (const d of m.status.dead_letters || []) {
      if (!byAgent.has(d.agent)) byAgent.set(d.agent, []);
      byAgent.get(d.agent).push({ ...d, member: m.url });
    }
  }
  const el = document.getElementById("dead-letters");
  if (byAgent.size === 0) {
    el.replaceChildren(h("p", { class: "muted" }, "None since the workers started."));
    return;
  }
  el.replaceChildren(...[...byAgent].sort().map(([agent, ds]) => {
    ds.sort((a, b) => (a.timestamp < b.timestamp ? 1 : -1));
    return h("div", { class: "dead", "data-agent": agent }, h("h3", {}, agent),
      h("table", {}, h("thead", {}, h("tr", {}, ["time", "source", "key", "reason", "error", "value"].map((c) => h("th", {}, c)))),
        h("tbody", {}, ds.slice(0, 10).map((d) => h("tr", {},
          h("td", {}, new Date(d.timestamp).toLocaleString("en-GB")),
          h("td", {}, `${d.source_topic}/${d.source_partition} @ ${d.source_offset}`, h("br"), h("span", { class: "muted" }, `→ ${d.topic}`)),
          h("td", {}, h("code", {}, d.key), d.key_format === "text" ? "" : h("span", { class: "muted" }, ` (${d.key_format})`)),
          h("td", {}, d.reason),
          h("td", { class: "err" }, d.error),
          h("td", {}, h("span", { class: "muted" }, d.value_format), h("pre", {}, d.value)))))));
  }));
}

// The table browser: a key's value (a windowed table's windows), or a
// prefix scan a page at a time, through this worker's table routes
// (which forward to the owning worker).
let nextToken = "";
let resultSeq = 0;

async function tableQuery(kind) {
  const sel = document.getElementById("table-select");
  const table = sel.value;
  const windowed = sel.selectedOptions[0]?.dataset.windowed === "true";
  const key = document.getElementById("table-key").value;
  const t = encodeURIComponent(table);
  let url;
  if (kind === "get") {
    nextToken = "";
    url = windowed
      ? `/tables/${t}/keys/${encodeURIComponent(key)}/windows?from=1970-01-01T00:00:00Z&to=2100-01-01T00:00:00Z`
      : `/tables/${t}/keys/${encodeURIComponent(key)}`;
  } else {
    if (kind === "scan") nextToken = "";
    url = `/tables/${t}/keys?limit=20&prefix=${encodeURIComponent(key)}` + (nextToken ? `&page_token=${encodeURIComponent(nextToken)}` : "");
  }
  const status = document.getElementById("table-status");
  const result = document.getElementById("table-result");
  status.textContent = "GET " + url;
  let body;
  try {
    const r = await fetch(url, { cache: "no-store" });
    body = await r.json();
    if (!r.ok) {
      body = { status: r.status, ...body };
    }
  } catch (e) {
    body = { error: e.message };
  }
  nextToken = body.next_page_token || "";
  document.getElementById("table-more").hidden = !nextToken;
  result.textContent = JSON.stringify(body, null, 2);
  result.dataset.seq = ++resultSeq;
}

function initTables() {
  const sel = document.getElementById("table-select");
  const scan = document.getElementById("table-scan");
  const update = () => { scan.disabled = sel.selectedOptions[0]?.dataset.windowed === "true"; };
  sel.addEventListener("change", update);
  update();
  document.getElementById("table-form").addEventListener("submit", (e) => { e.preventDefault(); tableQuery("get"); });
  scan.addEventListener("click", () => tableQuery("scan"));
  document.getElementById("table-more").addEventListener("click", () => tableQuery("more"));
}

initTables();
poll();
