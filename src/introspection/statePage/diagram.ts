// The state page's machine diagrams: plain JS (a String.raw literal, included in the page's
// script) that turns a MachineGraph into SVG markup, `diagram(graph, index)` -> {svg, notes}.
// It needs no DOM, so the unit tests run it in Node as well.
//
// Also defined here and used by the rest of the page: esc, clip, num.
export const DIAGRAM_SCRIPT = String.raw`
  var CHAR_W = 6.7, BOX_H = 28, PAD_X = 26, PAD_TOP = 30, PAD_BOTTOM = 14, GAP_X = 34, RANK_GAP = 12, MAX_LABEL = 34;
  var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return ESC[c]; }); }
  function clip(s, n) { s = String(s); return s.length > n ? s.slice(0, n - 1) + '\u2026' : s; }
  function num(n) { return Math.round(n * 10) / 10; }

  // ---------------------------------------------------------------- diagram layout
  // A layered drawing per container (the machine's root, each compound state): its children
  // are ranked along the transitions between them (longest path from the initial child, edges
  // back into the depth-first path reversed), with a rank between two layers for the labels:
  // every edge gets a label node there, and an edge spanning several layers a node in each rank
  // it crosses, so labels and long edges have room of their own. Rows are ordered by the
  // neighbours' positions (a few sweeps down and up) and each node is pulled toward its
  // neighbours. An edge is laid out in the innermost container holding both of its ends.
  function textWidth(s, size) { return String(s).length * CHAR_W * (size || 12) / 12; }
  function isContainer(n) { return (n.type === 'compound' || n.type === 'parallel') && n.children && n.children.length > 0; }
  function inside(path, ancestor) { return ancestor === '' || path === ancestor || path.indexOf(ancestor + '.') === 0; }
  function eachState(n, fn) { fn(n); (n.children || []).forEach(function (c) { eachState(c, fn); }); }
  // For graphs without labels (hand-written ones): XState's own event names, shortened
  // (tooltips keep them whole):
  // xstate.done.actor.0.session.connect -> done: connect, xstate.after.5000.x.y -> after 5000ms.
  function eventLabel(event) {
    var m = /^xstate\.(done|error)\.(?:actor|state)\.(.*)$/.exec(event);
    if (m) return m[1] + ': ' + m[2].split('.').pop();
    m = /^xstate\.after\.(\d+)\./.exec(event);
    return m ? 'after ' + m[1] + 'ms' : event;
  }
  function ownerOf(kids, path) {
    for (var i = 0; i < kids.length; i++) if (inside(path, kids[i].path)) return i;
    return -1;
  }

  // Puts the edge group in the innermost container whose two different children hold its ends.
  function assign(root, g) {
    var c = root;
    while (isContainer(c)) {
      var i = ownerOf(c.children, g.from), j = ownerOf(c.children, g.to);
      if (i < 0 || j < 0) return false;
      if (i !== j) { c.groups.push(g); g.i = i; g.j = j; return true; }
      c = c.children[i];
    }
    return false;
  }

  function layers(n) {
    var kids = n.children, succ = kids.map(function () { return []; });
    n.groups.forEach(function (g) { if (succ[g.i].indexOf(g.j) < 0) succ[g.i].push(g.j); });
    var mark = kids.map(function () { return 0; }), forward = kids.map(function () { return []; });
    var post = [], pre = [], count = 0;
    function visit(i) {
      mark[i] = 1; pre[i] = count++;
      succ[i].forEach(function (j) {
        if (mark[j] === 1) return;
        forward[i].push(j);
        if (mark[j] === 0) visit(j);
      });
      mark[i] = 2; post.push(i);
    }
    var start = 0;
    kids.forEach(function (k, i) { if (k.key === n.initial) start = i; });
    visit(start);
    kids.forEach(function (k, i) { if (!mark[i]) visit(i); });
    var layer = kids.map(function () { return 0; });
    for (var p = post.length - 1; p >= 0; p--) {
      var from = post[p];
      forward[from].forEach(function (to) { layer[to] = Math.max(layer[to], layer[from] + 1); });
    }
    return { layer: layer, pre: pre };
  }

  function link(a, b) { a.nb.push(b); b.nb.push(a); }

  // Sets n.w, n.h; each child's x, y and each edge node's cx, cy, relative to n.
  function measure(n, label) {
    if (!isContainer(n)) {
      n.label = label;
      n.sub = n.invokes && n.invokes.length ? clip('\u21bb ' + n.invokes.join(', '), 36) : '';
      n.w = Math.max(76, textWidth(label) + 26, n.sub ? textWidth(n.sub, 9.5) + 18 : 0);
      n.h = n.sub ? BOX_H + 12 : BOX_H;
      return;
    }
    n.label = label + (n.type === 'parallel' ? '  (parallel)' : '');
    n.children.forEach(function (c) { measure(c, c.key); });
    var ranked = layers(n), rows = [], items = [];
    var add = function (item) { item.nb = []; items.push(item); (rows[item.rank] = rows[item.rank] || []).push(item); return item; };
    var kidItems = n.children.map(function (c, i) { return add({ node: c, rank: 2 * ranked.layer[i] + 1, w: c.w, h: c.h, pre: ranked.pre[i] }); });
    n.groups.forEach(function (g) {
      var a = kidItems[g.i], b = kidItems[g.j], ranks = [];
      if (a.rank === b.rank) ranks = [a.rank - 1];
      else for (var r = a.rank + (b.rank > a.rank ? 1 : -1); r !== b.rank; r += b.rank > a.rank ? 1 : -1) ranks.push(r);
      var mid = (ranks.length - 1) >> 1, prev = a;
      g.text = clip(g.labels.join(' / '), MAX_LABEL);
      g.chain = ranks.map(function (r, k) {
        var d = add(k === mid ? { rank: r, w: textWidth(g.text, 10) + 10, h: 14, label: true } : { rank: r, w: 8, h: 0 });
        link(prev, d);
        prev = d;
        return d;
      });
      link(prev, b);
    });
    var used = [];
    for (var r = 0; r < rows.length; r++) if (rows[r]) used.push(r); else rows[r] = [];
    rows.forEach(function (row) { row.sort(function (a, b) { return (a.node ? 0 : 1) - (b.node ? 0 : 1) || (a.pre || 0) - (b.pre || 0); }); row.forEach(function (it, k) { it.idx = k; }); });
    // Crossing reduction: order each row by the mean position of its neighbours in the row before.
    for (var pass = 0; pass < 6; pass++) {
      var down = pass % 2 === 0;
      for (var q = down ? 1 : rows.length - 2; down ? q < rows.length : q >= 0; q += down ? 1 : -1) {
        var near = q + (down ? -1 : 1);
        rows[q].forEach(function (it) {
          var nbs = it.nb.filter(function (o) { return o.rank === near; });
          it.bary = nbs.length ? nbs.reduce(function (s, o) { return s + o.idx; }, 0) / nbs.length : it.idx;
        });
        rows[q].sort(function (a, b) { return a.bary - b.bary || a.idx - b.idx; });
        rows[q].forEach(function (it, k) { it.idx = k; });
      }
    }
    // x: packed and centred, then pulled toward the neighbours (keeping order and gaps).
    var gap = function (a, b) { return a.node && b.node ? GAP_X : 14; };
    var widest = 0;
    rows.forEach(function (row) {
      var x = 0;
      row.forEach(function (it, k) { it.x = x; x += it.w + (k < row.length - 1 ? gap(it, row[k + 1]) : 0); });
      row.total = x;
      widest = Math.max(widest, x);
    });
    rows.forEach(function (row) { row.forEach(function (it) { it.x += (widest - row.total) / 2; }); });
    for (var round = 0; round < 8; round++) {
      var fromAbove = round % 2 === 0;
      for (var s = fromAbove ? 1 : rows.length - 2; fromAbove ? s < rows.length : s >= 0; s += fromAbove ? 1 : -1) {
        var row = rows[s], other = s + (fromAbove ? -1 : 1);
        if (!row.length) continue;
        var want = row.map(function (it) {
          var nbs = it.nb.filter(function (o) { return o.rank === other; });
          return nbs.length ? nbs.reduce(function (sum, o) { return sum + o.x + o.w / 2; }, 0) / nbs.length - it.w / 2 : it.x;
        });
        var left = [], right = [];
        row.forEach(function (it, k) { left[k] = k ? Math.max(want[k], left[k - 1] + row[k - 1].w + gap(row[k - 1], it)) : want[k]; });
        for (var k = row.length - 1; k >= 0; k--) right[k] = k < row.length - 1 ? Math.min(want[k], right[k + 1] - gap(row[k], row[k + 1]) - row[k].w) : want[k];
        row.forEach(function (it, k) { it.x = (left[k] + right[k]) / 2; });
      }
    }
    var minX = Infinity, maxX = -Infinity;
    items.forEach(function (it) { minX = Math.min(minX, it.x); maxX = Math.max(maxX, it.x + it.w); });
    var width = Math.max(maxX - minX, textWidth(n.label) + 10 - PAD_X);
    var y = PAD_TOP, first = true;
    rows.forEach(function (row, rank) {
      if (!row.length && (rank % 2 === 0 || first)) { if (!first) y += 6; return; }
      first = false;
      var rh = row.reduce(function (m, it) { return Math.max(m, it.h); }, 0);
      row.forEach(function (it) {
        it.x += PAD_X - minX + (width - (maxX - minX)) / 2;
        if (it.node) { it.node.x = it.x; it.node.y = y + (rh - it.h) / 2; }
        it.cx = it.x + it.w / 2;
        it.cy = y + rh / 2;
      });
      y += rh + RANK_GAP;
    });
    n.w = width + 2 * PAD_X;
    n.h = y - RANK_GAP + PAD_BOTTOM;
  }

  function place(n, x, y, byPath) {
    n.ax = x; n.ay = y; byPath[n.path] = n;
    if (!isContainer(n)) return;
    n.children.forEach(function (c) { place(c, x + c.x, y + c.y, byPath); });
    n.groups.forEach(function (g) { g.chain.forEach(function (d) { d.ax = x + d.cx; d.ay = y + d.cy; }); });
  }

  function tooltip(n) {
    var lines = [n.path === '' ? '(root)' : n.path];
    if (n.description) lines.push(n.description);
    lines.push('type: ' + n.type);
    if (n.invokes && n.invokes.length) lines.push('invokes: ' + n.invokes.join(', '));
    (n.transitions || []).forEach(function (t) {
      lines.push(t.event + (t.guard ? ' [' + t.guard + ']' : '') + ' \u2192 ' + (t.targets && t.targets.length ? t.targets.join(', ') : '(no target)'));
    });
    return lines.join('\n');
  }

  function renderStates(n, out, parent) {
    var cls = 'st ' + n.type + (isContainer(n) ? ' container' : '') + (n.path === '' ? ' root' : '') + (parent && parent.type === 'parallel' ? ' region' : '');
    out.push('<g class="' + esc(cls) + '" data-path="' + esc(n.path) + '"><title>' + esc(tooltip(n)) + '</title>');
    out.push('<rect x="' + num(n.ax) + '" y="' + num(n.ay) + '" width="' + num(n.w) + '" height="' + num(n.h) + '" rx="' + (isContainer(n) ? 10 : 8) + '"/>');
    if (n.type === 'final') out.push('<rect class="inner" x="' + num(n.ax + 3) + '" y="' + num(n.ay + 3) + '" width="' + num(n.w - 6) + '" height="' + num(n.h - 6) + '" rx="6"/>');
    if (isContainer(n)) {
      out.push('<text class="ctitle" x="' + num(n.ax + 10) + '" y="' + num(n.ay + 18) + '">' + esc(n.label) + '</text>');
    } else {
      var cy = n.ay + (n.sub ? 17 : n.h / 2 + 4);
      out.push('<text class="name" text-anchor="middle" x="' + num(n.ax + n.w / 2) + '" y="' + num(cy) + '">' + esc(n.label) + '</text>');
      if (n.sub) out.push('<text class="sub" text-anchor="middle" x="' + num(n.ax + n.w / 2) + '" y="' + num(n.ay + 31) + '">' + esc(n.sub) + '</text>');
      out.push('<text class="count" text-anchor="end" x="' + num(n.ax + n.w - 5) + '" y="' + num(n.ay + 11) + '"></text>');
    }
    out.push('</g>');
    if (!isContainer(n)) return;
    n.children.forEach(function (c) { renderStates(c, out, n); });
    var first = n.children.filter(function (c) { return c.key === n.initial; })[0];
    if (first && n.type !== 'parallel') {
      var iy = first.ay + first.h / 2;
      out.push('<circle class="init" cx="' + num(first.ax - 16) + '" cy="' + num(iy) + '" r="4"/>');
      out.push('<g class="edge"><path d="M' + num(first.ax - 12) + ',' + num(iy) + ' L' + num(first.ax - 1) + ',' + num(iy) + '" marker-end="url(#MARK)"/></g>');
    }
  }

  // Where the ray from p (inside n) toward q leaves n's box.
  function border(n, p, q) {
    var dx = q.x - p.x, dy = q.y - p.y;
    if (!dx && !dy) return p;
    var tx = dx ? ((dx > 0 ? n.ax + n.w : n.ax) - p.x) / dx : Infinity;
    var ty = dy ? ((dy > 0 ? n.ay + n.h : n.ay) - p.y) / dy : Infinity;
    var t = Math.min(tx, ty);
    return { x: p.x + dx * t, y: p.y + dy * t };
  }
  function centre(n) { return { x: n.ax + n.w / 2, y: n.ay + n.h / 2 }; }
  function grow(b, x, y) { b.x0 = Math.min(b.x0, x); b.y0 = Math.min(b.y0, y); b.x1 = Math.max(b.x1, x); b.y1 = Math.max(b.y1, y); }

  // A smooth path through the points (Catmull-Rom as cubic Beziers).
  function smooth(pts) {
    var d = 'M' + num(pts[0].x) + ',' + num(pts[0].y);
    for (var i = 0; i < pts.length - 1; i++) {
      var p0 = pts[i - 1] || pts[i], p1 = pts[i], p2 = pts[i + 1], p3 = pts[i + 2] || p2;
      d += ' C' + num(p1.x + (p2.x - p0.x) / 6) + ',' + num(p1.y + (p2.y - p0.y) / 6) + ' ' + num(p2.x - (p3.x - p1.x) / 6) + ',' + num(p2.y - (p3.y - p1.y) / 6) + ' ' + num(p2.x) + ',' + num(p2.y);
    }
    return d;
  }

  function edgeMarkup(g, byPath, bounds) {
    var a = byPath[g.from], b = byPath[g.to], text = g.text || clip(g.labels.join(' / '), MAX_LABEL), tw = textWidth(text, 10);
    var d, lx, ly, anchor = 'middle';
    if (a === b) {
      var rx = a.ax + a.w, ty = a.ay;
      d = 'M' + num(rx - 14) + ',' + num(ty) + ' C' + num(rx - 10) + ',' + num(ty - 24) + ' ' + num(rx + 24) + ',' + num(ty - 6) + ' ' + num(rx) + ',' + num(ty + 9);
      lx = rx + 8; ly = ty - 8; anchor = 'start';
      grow(bounds, lx + tw + 4, ly - 12);
    } else if (g.chain) {
      var mids = g.chain.map(function (n) { return { x: n.ax, y: n.ay }; });
      var pts = [border(a, centre(a), mids[0])].concat(mids, [border(b, centre(b), mids[mids.length - 1])]);
      d = smooth(pts);
      var label = g.chain.filter(function (n) { return n.label; })[0];
      lx = label.ax; ly = label.ay + 3.5;
    } else {
      // An edge between a container and its own descendant: a plain curve off the container's corner.
      var ca = inside(b.path, a.path) ? { x: a.ax + a.w - 12, y: a.ay + 10 } : centre(a);
      var cb = inside(a.path, b.path) ? { x: b.ax + b.w - 12, y: b.ay + 10 } : centre(b);
      var c = { x: (ca.x + cb.x) / 2 + 40, y: (ca.y + cb.y) / 2 };
      var p0 = inside(b.path, a.path) ? ca : border(a, ca, c), p2 = inside(a.path, b.path) ? cb : border(b, cb, c);
      d = 'M' + num(p0.x) + ',' + num(p0.y) + ' Q' + num(c.x) + ',' + num(c.y) + ' ' + num(p2.x) + ',' + num(p2.y);
      lx = 0.25 * p0.x + 0.5 * c.x + 0.25 * p2.x; ly = 0.25 * p0.y + 0.5 * c.y + 0.25 * p2.y + 3;
      grow(bounds, lx + tw / 2 + 4, ly);
    }
    return '<g class="edge"><title>' + esc(g.labels.join('\n')) + '</title><path d="' + d + '" marker-end="url(#MARK)"/>' +
      '<text text-anchor="' + anchor + '" x="' + num(lx) + '" y="' + num(ly) + '">' + esc(text) + '</text></g>';
  }

  // The SVG markup of one machine graph.
  function diagram(graph, index) {
    var root = JSON.parse(JSON.stringify(graph.root));
    root.path = root.path || '';
    var known = {}, groups = {}, list = [], fromRoot = {};
    eachState(root, function (s) { known[s.path] = true; s.groups = []; });
    eachState(root, function (s) {
      (s.transitions || []).forEach(function (t) {
        (t.targets || []).forEach(function (target) {
          if (!known[target]) return;
          var label = t.label || eventLabel(t.event) + (t.guard ? ' [' + t.guard + ']' : '');
          if (s.path === '') { (fromRoot[target] = fromRoot[target] || []).push(label); return; }
          var key = s.path + '\n' + target;
          if (!groups[key]) { groups[key] = { from: s.path, to: target, labels: [] }; list.push(groups[key]); }
          if (groups[key].labels.indexOf(label) < 0) groups[key].labels.push(label);
        });
      });
    });
    list.forEach(function (g) { if (g.from !== g.to) assign(root, g); });
    measure(root, graph.id);
    var byPath = {};
    place(root, 0, 0, byPath);
    var bounds = { x0: 0, y0: 0, x1: root.w, y1: root.h };
    var states = [], edges = [];
    renderStates(root, states, null);
    list.forEach(function (g) { edges.push(edgeMarkup(g, byPath, bounds)); });
    var notes = Object.keys(fromRoot).map(function (target) {
      return 'from any state: ' + fromRoot[target].filter(function (l, i, all) { return all.indexOf(l) === i; }).join(', ') + ' \u2192 ' + target;
    });
    var x0 = bounds.x0 - 8, y0 = bounds.y0 - 8, w = bounds.x1 - bounds.x0 + 16, hh = bounds.y1 - bounds.y0 + 16;
    var mark = 'ah' + index;
    var defs = '<defs><marker id="' + mark + '" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>';
    return { notes: notes, svg: ('<svg role="img" aria-label="' + esc(graph.id) + ' state diagram" width="' + num(w) + '" height="' + num(hh) + '" viewBox="' + num(x0) + ' ' + num(y0) + ' ' + num(w) + ' ' + num(hh) + '">' +
      defs + states.join('') + edges.join('') + '</svg>').split('url(#MARK)').join('url(#' + mark + ')') };
  }
`;
