// The state page: one self-contained HTML document (inline CSS and JS, nothing fetched from
// anywhere but its own origin's `events` stream), generic over the wire format of wire.ts.
// It shows the actor tree (state, ticking time in state, details), one diagram per machine
// (inline SVG, laid out here in the browser: states in layers along the transitions, compound
// states as containers around their children) with the states of its actors highlighted, and
// the recent events, newest first.
//
// The script is plain ES5-ish JS in a String.raw literal: no template literals (backticks and
// dollar-brace cannot appear), and SVG is built as markup (the HTML parser puts it in the SVG
// namespace), so the page holds no URL at all. The diagrams' layout is diagram.ts.
import { DIAGRAM_SCRIPT } from './diagram.js';

const STYLE = `
:root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #ffffff; --panel: #f6f8fa; --hi: #ffe8a3; --hi-line: #c77c00; --ok: #1a7f37; --bad: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: baseline; gap: 12px; padding: 10px 16px; border-bottom: 1px solid var(--line); background: var(--panel); position: sticky; top: 0; z-index: 1; }
header h1 { font-size: 16px; margin: 0; }
header .at { color: var(--muted); }
header .conn { margin-left: auto; font-size: 12px; padding: 1px 8px; border-radius: 10px; border: 1px solid var(--line); }
header .conn.live { color: var(--ok); border-color: var(--ok); }
header .conn.down { color: var(--bad); border-color: var(--bad); }
header a { color: var(--muted); font-size: 12px; }
main { display: grid; grid-template-columns: minmax(340px, 1fr) minmax(340px, 1.25fr); gap: 16px; padding: 12px 16px; }
@media (max-width: 900px) { main { grid-template-columns: 1fr; } }
section h2 { font-size: 14px; margin: 4px 0 8px; }
#events-section { grid-column: 1 / -1; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 18px; }
ul.tree { padding-left: 0; }
ul.tree ul { border-left: 1px dotted var(--line); margin-left: 6px; }
.row { padding: 2px 4px; border-radius: 4px; display: flex; flex-wrap: wrap; gap: 2px 8px; align-items: baseline; }
.row:hover { background: var(--panel); }
.row .id { font-weight: 600; }
.row .machine { color: var(--muted); }
.row .machine::before { content: "("; } .row .machine::after { content: ")"; }
.row .state { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; padding: 0 6px; border-radius: 9px; background: var(--hi); border: 1px solid #e6c35c; }
.row .state.s-done, .row .state.s-stopped { background: #eaeef2; border-color: var(--line); }
.row .state.s-error { background: #ffebe9; border-color: var(--bad); }
.dur { color: var(--muted); font-variant-numeric: tabular-nums; }
.row .detail { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; color: #24292f; background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 0 4px; }
.row .detail .k { color: var(--muted); }
.machine-block { margin-bottom: 18px; }
.machine-block h3 { font-size: 13px; margin: 0 0 2px; }
.machine-block .actors { color: var(--muted); font-size: 12px; margin-bottom: 4px; }
.diagram { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; background: #fff; padding: 4px; }
.diagram svg { display: block; max-width: 100%; height: auto; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
svg .st > rect { fill: #fff; stroke: #8c959f; stroke-width: 1.2; }
svg .st.container > rect { fill: #f6f8fa; stroke: #afb8c1; }
svg .st.region > rect { stroke-dasharray: 5 3; }
svg .st.root > rect { fill: #fbfcfd; stroke: #d0d7de; }
svg .st.final > rect.inner { fill: none; }
svg .st.active > rect { fill: var(--hi); stroke: var(--hi-line); stroke-width: 2.2; }
svg .st.container.active > rect { fill: #fff8e1; }
svg .st .name { font-size: 12px; fill: #1f2328; }
svg .st .ctitle { font-size: 12px; font-weight: 600; fill: #57606a; }
svg .st .sub { font-size: 9.5px; fill: #6e7781; }
svg .st .count { font-size: 10px; font-weight: 700; fill: var(--hi-line); }
svg .edge path { fill: none; stroke: #6e7781; stroke-width: 1.2; }
svg .edge text { font-size: 10px; fill: #424a53; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.machine-block .note { color: var(--muted); font-size: 11.5px; margin-top: 3px; }
svg .init { fill: #24292f; }
svg marker path { fill: #6e7781; }
.muted { color: var(--muted); }
table.events { border-collapse: collapse; width: 100%; font-size: 12px; }
table.events th { text-align: left; color: var(--muted); font-weight: 500; border-bottom: 1px solid var(--line); padding: 2px 8px; position: sticky; top: 0; background: var(--bg); }
table.events td { padding: 1px 8px; border-bottom: 1px solid #eef1f4; vertical-align: top; }
table.events td.t { font-variant-numeric: tabular-nums; color: var(--muted); white-space: nowrap; }
table.events td.type { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
table.events tr.ev-state td.type { color: #8a5a00; }
#tables-section { grid-column: 1 / -1; }
.table-block { margin-bottom: 14px; }
.table-block h3 { font-size: 13px; margin: 0 0 4px; }
.events-wrap { max-height: 60vh; overflow-y: auto; border: 1px solid var(--line); border-radius: 6px; }
`;

const APP_SCRIPT = String.raw`
  var machinesJson = '';
  var diagrams = {};
  // What each state means (the machines' descriptions), by machine id and state path.
  var descriptions = {};
  var current = null;
  var receivedAt = 0;

  function $(id) { return document.getElementById(id); }
  function h(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function pad(n, w) { n = String(n); while (n.length < w) n = '0' + n; return n; }
  function clock(t) {
    var d = new Date(t);
    return pad(d.getHours(), 2) + ':' + pad(d.getMinutes(), 2) + ':' + pad(d.getSeconds(), 2) + '.' + pad(d.getMilliseconds(), 3);
  }
  // As formatDuration in stateReport.ts.
  function formatDuration(ms) {
    if (ms < 1000) return Math.round(ms) + ' ms';
    var s = ms / 1000;
    if (s < 60) return s.toFixed(1) + ' s';
    var m = Math.floor(s / 60);
    if (m < 60) return m + ' min ' + Math.floor(s % 60) + ' s';
    var hr = Math.floor(m / 60);
    if (hr < 48) return hr + ' h ' + (m % 60) + ' min';
    return Math.floor(hr / 24) + ' d ' + (hr % 24) + ' h';
  }
  function walkTree(node, fn) { fn(node); (node.children || []).forEach(function (c) { walkTree(c, fn); }); }

  function setMachines(machines) {
    var json = JSON.stringify(machines);
    if (json === machinesJson) return;
    machinesJson = json;
    diagrams = {};
    descriptions = {};
    machines.forEach(function (graph) {
      var byPath = descriptions[graph.id] = {};
      (function walk(n) { if (n.description) byPath[n.path] = n.description; (n.children || []).forEach(walk); })(graph.root);
    });
    var box = $('machines');
    box.textContent = '';
    if (!machines.length) box.appendChild(h('p', 'muted', 'No machine definitions.'));
    machines.forEach(function (graph, index) {
      var block = h('div', 'machine-block');
      block.setAttribute('data-machine', graph.id);
      block.appendChild(h('h3', '', graph.id));
      var actors = h('div', 'actors', '');
      block.appendChild(actors);
      var holder = h('div', 'diagram');
      block.appendChild(holder);
      try {
        var drawn = diagram(graph, index);
        holder.innerHTML = drawn.svg;
        drawn.notes.forEach(function (note) { block.appendChild(h('div', 'note', note)); });
      } catch (err) {
        holder.appendChild(h('p', 'muted', 'This machine could not be drawn: ' + err));
      }
      box.appendChild(block);
      diagrams[graph.id] = { actors: actors, groups: Array.prototype.slice.call(holder.querySelectorAll('g.st')) };
    });
  }

  function highlight(view) {
    var counts = {}, actors = {};
    walkTree(view.tree, function (n) {
      if (!n.machine) return;
      (actors[n.machine] = actors[n.machine] || []).push(n.id);
      var c = counts[n.machine] = counts[n.machine] || {};
      (n.paths || []).forEach(function (p) { c[p] = (c[p] || 0) + 1; });
    });
    Object.keys(diagrams).forEach(function (id) {
      var d = diagrams[id], c = counts[id] || {}, ids = actors[id] || [];
      d.actors.textContent = ids.length ? (ids.length === 1 ? 'actor: ' : ids.length + ' actors: ') + clip(ids.join(', '), 160) : 'no actor runs this machine now';
      d.groups.forEach(function (g) {
        var path = g.getAttribute('data-path'), n = c[path] || 0;
        if (n > 0 && path !== '') g.classList.add('active'); else g.classList.remove('active');
        var count = g.querySelector('.count');
        if (count) count.textContent = ids.length > 1 && n > 0 ? '\u00d7' + n : '';
      });
    });
  }

  // ---------------------------------------------------------------- tree and events
  function detailText(v) { return Array.isArray(v) ? '[' + v.join(',') + ']' : String(v); }

  /** The descriptions of the states the actor is in, outermost first (a tooltip on its state). */
  function stateMeaning(node) {
    var byPath = descriptions[node.machine] || {};
    return (node.paths || []).filter(function (p) { return byPath[p]; }).map(function (p) { return byPath[p]; }).join('\n');
  }

  function treeItem(node) {
    var li = h('li');
    var row = h('div', 'row');
    row.setAttribute('data-actor', node.id);
    if (node.state !== undefined) row.setAttribute('data-state', node.state);
    row.appendChild(h('span', 'id', node.id));
    if (node.machine && node.machine !== node.id) row.appendChild(h('span', 'machine', node.machine));
    if (node.state !== undefined) {
      var stateSpan = h('span', 'state s-' + node.status, node.state);
      var meaning = stateMeaning(node);
      if (meaning) stateSpan.title = meaning;
      row.appendChild(stateSpan);
    } else if (node.status !== 'active') row.appendChild(h('span', 'state s-' + node.status, node.status));
    if (node.inStateMs !== undefined) {
      var dur = h('span', 'dur');
      dur.setAttribute('data-ms', String(node.inStateMs));
      row.appendChild(dur);
    }
    Object.keys(node.details || {}).forEach(function (key) {
      var chip = h('span', 'detail');
      chip.appendChild(h('span', 'k', key + '='));
      chip.appendChild(document.createTextNode(clip(detailText(node.details[key]), 80)));
      row.appendChild(chip);
    });
    li.appendChild(row);
    if (node.children && node.children.length) {
      var ul = h('ul');
      node.children.forEach(function (c) { ul.appendChild(treeItem(c)); });
      li.appendChild(ul);
    }
    return li;
  }

  function renderEvents(events) {
    var body = $('events');
    body.textContent = '';
    for (var i = events.length - 1; i >= 0; i--) {
      var e = events[i], tr = h('tr', 'ev-' + e.kind);
      tr.appendChild(h('td', 't', clock(e.t)));
      tr.appendChild(h('td', 'actor', e.actor));
      tr.appendChild(h('td', 'kind', e.kind));
      tr.appendChild(h('td', 'type', e.type));
      tr.appendChild(h('td', 'detail', e.kind === 'state' && e.detail !== undefined ? 'from ' + e.detail : e.detail || ''));
      body.appendChild(tr);
    }
    $('events-count').textContent = events.length ? '(' + events.length + ', newest first)' : '(none yet)';
  }

  // Tables beside the tree (the dev server's alerts per host).
  function renderTables(tables) {
    var box = $('tables');
    box.textContent = '';
    $('tables-section').style.display = tables && tables.length ? '' : 'none';
    (tables || []).forEach(function (t) {
      var block = h('div', 'table-block');
      block.setAttribute('data-table', t.title);
      block.appendChild(h('h3', '', t.title));
      var table = h('table', 'events'), head = h('tr');
      t.columns.forEach(function (c) { head.appendChild(h('th', '', c)); });
      var thead = h('thead'); thead.appendChild(head); table.appendChild(thead);
      var body = h('tbody');
      if (!t.rows.length) { var none = h('tr'); var cell = h('td', 'muted', 'none'); cell.colSpan = t.columns.length; none.appendChild(cell); body.appendChild(none); }
      t.rows.forEach(function (r) {
        var tr = h('tr');
        r.forEach(function (v) { tr.appendChild(h('td', '', clip(String(v), 300))); });
        body.appendChild(tr);
      });
      table.appendChild(body);
      block.appendChild(table);
      box.appendChild(block);
    });
  }

  function tick() {
    if (!current) return;
    var elapsed = Math.max(0, performance.now() - receivedAt);
    var spans = document.querySelectorAll('#tree .dur');
    for (var i = 0; i < spans.length; i++) spans[i].textContent = 'for ' + formatDuration(Number(spans[i].getAttribute('data-ms')) + elapsed);
  }

  function apply(view) {
    if (view.machines) setMachines(view.machines);
    current = view;
    receivedAt = performance.now();
    document.title = view.title + ' \u2014 state';
    $('title').textContent = view.title;
    $('at').textContent = 'as of ' + clock(view.at);
    var tree = $('tree');
    tree.textContent = '';
    tree.appendChild(treeItem(view.tree));
    renderEvents(view.events || []);
    renderTables(view.tables);
    highlight(view);
    tick();
  }

  function connection(text, cls) { var c = $('conn'); c.textContent = text; c.className = 'conn ' + cls; }

  setInterval(tick, 250);
  if (typeof EventSource !== 'function') {
    connection('no EventSource: reload to refresh', 'down');
    fetch('state.json').then(function (r) { return r.json(); }).then(apply);
    return;
  }
  var source = new EventSource('events');
  source.addEventListener('view', function (e) {
    try { apply(JSON.parse(e.data)); } catch (err) { connection('bad data: ' + err, 'down'); }
  });
  source.onopen = function () { connection('live', 'live'); };
  source.onerror = function () { connection(source.readyState === 2 ? 'disconnected' : 'reconnecting\u2026', 'down'); };
`;

const SCRIPT = `(function () {\n  'use strict';\n${DIAGRAM_SCRIPT}\n${APP_SCRIPT}})();\n`;

export const STATE_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>state</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1 id="title">connecting…</h1><span class="at" id="at"></span><a href="state.json">state.json</a><span class="conn" id="conn">connecting…</span></header>
<noscript><p>This page needs JavaScript; the same view is at <a href="state.json">state.json</a>.</p></noscript>
<main>
<section id="tree-section"><h2>Actors</h2><ul class="tree" id="tree"></ul></section>
<section id="machines-section"><h2>Machines</h2><div id="machines"></div></section>
<section id="tables-section" style="display:none"><h2>Tables</h2><div id="tables"></div></section>
<section id="events-section"><h2>Recent events <span class="muted" id="events-count"></span></h2>
<div class="events-wrap"><table class="events"><thead><tr><th>time</th><th>actor</th><th>kind</th><th>what</th><th>detail</th></tr></thead><tbody id="events"></tbody></table></div></section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
