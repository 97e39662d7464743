// The Baton operator console (docs/console.md): one server-sent-event stream per page, rendered with the DOM
// (textContent only, never innerHTML, so no text from a client can become markup). No library, no network.
'use strict';
(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const csrf = document.querySelector('meta[name=csrf]').content;
  let last = null;
  let source = null;
  let streamSession = null;

  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  function ms(v) {
    if (v === null || v === undefined) return '–';
    return v >= 1000 ? (v / 1000).toFixed(2) + ' s' : Math.round(v) + ' ms';
  }

  function route() {
    const h = location.hash.replace(/^#/, '') || 'overview';
    let view = h;
    let session = null;
    if (h.startsWith('session=')) {
      view = 'session';
      session = decodeURIComponent(h.substring(8));
    }
    document.querySelectorAll('.view').forEach(v => v.classList.toggle('shown', v.id === 'view-' + view));
    document.querySelectorAll('header nav a').forEach(a => a.classList.toggle('active', a.id === 'nav-' + view));
    if (session !== streamSession || source === null) connect(session);
    if (view === 'session') $('session-key').textContent = session;
    if (last) render(last);
  }

  function connect(session) {
    if (source) source.close();
    streamSession = session;
    source = new EventSource('/console/stream' + (session ? '?session=' + encodeURIComponent(session) : ''));
    source.addEventListener('open', () => { $('status').textContent = 'live'; $('status').className = 'status live'; });
    source.addEventListener('error', () => { $('status').textContent = 'disconnected (retrying)'; $('status').className = 'status'; });
    source.addEventListener('snapshot', e => { last = JSON.parse(e.data); render(last); });
    source.addEventListener('timeline', e => renderTimeline(JSON.parse(e.data)));
  }

  function render(s) {
    renderOverview(s.overview);
    renderSessions(s.sessions);
    renderGraph(s.graph);
    renderDeliveries(s.deliveries);
    renderCluster(s.cluster);
    if (streamSession) {
      const row = s.sessions.find(x => x.session === streamSession);
      $('session-state').textContent = row
        ? row.queued + ' queued, ' + row.running + ' running' + (row.running_ms !== undefined ? ' for ' + ms(row.running_ms) + ' of ' + ms(row.deadline_ms) : '') + ' · '
        : 'idle (nothing queued or running) · ';
    }
    $('text-hint').textContent = s.show_text ? '' : 'Message text is hidden (admin.show_text: false).';
  }

  function spark(id, values) {
    const e = $(id);
    e.replaceChildren();
    if (!values || values.length < 2) return;
    const max = Math.max(1, ...values);
    const pts = values.map((v, i) => (i * 120 / (values.length - 1)).toFixed(1) + ',' + (29 - v * 28 / max).toFixed(1));
    e.appendChild(svg('polyline', { points: pts.join(' ') }));
  }

  function renderOverview(o) {
    $('ov-accepted').textContent = o.accepted_per_s;
    $('ov-running').textContent = o.running + ' / ' + o.limit;
    $('ov-queued').textContent = o.queued;
    $('ov-qwait').textContent = ms(o.queue_wait_p50_ms) + ' / ' + ms(o.queue_wait_p99_ms);
    $('ov-turn').textContent = ms(o.turn_p50_ms) + ' / ' + ms(o.turn_p99_ms);
    $('ov-bad').textContent = o.busy + ' / ' + o.expired + ' / ' + o.failed;
    $('ov-other').textContent = o.timeouts + ' / ' + o.cancelled + ' / ' + o.deadlocks;
    $('ov-mode').textContent = o.queue_mode;
    spark('spark-accepted', o.history_accepted);
    spark('spark-running', o.history_running);
    spark('spark-queued', o.history_queued);
  }

  function renderSessions(list) {
    const q = $('session-search').value.trim().toLowerCase();
    const body = $('sessions-table').tBodies[0];
    body.replaceChildren();
    const shown = list.filter(s => !q || s.session.toLowerCase().includes(q));
    for (const s of shown) {
      const tr = document.createElement('tr');
      tr.dataset.session = s.session;
      const a = el('a', s.session);
      a.href = '#session=' + encodeURIComponent(s.session);
      const td = el('td');
      td.appendChild(a);
      tr.appendChild(td);
      tr.appendChild(el('td', s.class));
      tr.appendChild(el('td', s.mode));
      tr.appendChild(el('td', s.queued, 'queued'));
      tr.appendChild(el('td', s.running, 'running'));
      tr.appendChild(el('td', s.running_ms !== undefined ? ms(s.running_ms) + ' / ' + ms(s.deadline_ms) : '–'));
      const acts = el('td');
      for (const [action, label] of [['cancel', 'Cancel'], ['drain', 'Drain']]) {
        const b = el('button', label, 'act');
        b.type = 'button';
        b.dataset.action = action;
        b.dataset.session = s.session;
        acts.appendChild(b);
      }
      tr.appendChild(acts);
      body.appendChild(tr);
    }
    $('sessions-empty').hidden = shown.length > 0;
  }

  function renderTimeline(t) {
    if (t.session !== streamSession) return;
    const ol = $('timeline');
    ol.replaceChildren();
    for (const e of t.events) {
      const li = el('li', null, 'ev ev-' + e.kind);
      li.appendChild(el('span', e.at.replace('T', ' ').replace('Z', ''), 'at'));
      li.appendChild(el('span', e.kind, 'kind'));
      li.appendChild(el('span', e.detail, 'detail'));
      if (e.text) li.appendChild(el('span', e.text, 'text'));
      ol.appendChild(li);
    }
    if (t.events.length === 0) ol.appendChild(el('li', 'Nothing recorded for this session on this node yet.', 'hint'));
  }

  function renderGraph(g) {
    $('graph-unavailable').hidden = g.available;
    const s = $('graph-svg');
    s.replaceChildren();
    if (!g.available) return;
    const defs = svg('defs', {});
    for (const [id, color] of [['arrow', '#7a8699'], ['arrow-red', '#d32f2f']]) {
      const m = svg('marker', { id: id, viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' });
      m.appendChild(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: color }));
      defs.appendChild(m);
    }
    s.appendChild(defs);
    const edges = [];
    const nodes = new Map();
    function node(name) { if (!nodes.has(name)) nodes.set(name, { name: name, cycle: false, victim: false }); return nodes.get(name); }
    for (const w of g.waits) for (const b of w.blocked_by) edges.push({ from: w.party, to: b, label: w.waits_for, cycle: false });
    const d = g.deadlocks.length ? g.deadlocks[g.deadlocks.length - 1] : null;
    if (d) {
      d.cycle.forEach((m, i) => {
        const next = d.cycle[(i + 1) % d.cycle.length];
        edges.push({ from: m.party, to: next.party, label: m.waits_for, cycle: true });
        node(m.party).cycle = true;
        if (m.party === d.victim) node(m.party).victim = true;
      });
    }
    for (const e of edges) { node(e.from); node(e.to); }
    const list = Array.from(nodes.values());
    const cx = 400, cy = 230, r = list.length > 1 ? 170 : 0;
    list.forEach((n, i) => {
      const a = 2 * Math.PI * i / list.length - Math.PI / 2;
      n.x = cx + r * Math.cos(a);
      n.y = cy + r * Math.sin(a);
    });
    for (const e of edges) {
      const a = nodes.get(e.from), b = nodes.get(e.to);
      const dx = b.x - a.x, dy = b.y - a.y, len = Math.max(1, Math.hypot(dx, dy));
      const line = svg('line', { x1: a.x + dx * 18 / len, y1: a.y + dy * 18 / len, x2: b.x - dx * 20 / len, y2: b.y - dy * 20 / len, class: 'edge' + (e.cycle ? ' cycle' : '') });
      const title = svg('title', {});
      title.textContent = e.from + ' waits for ' + e.label + ' held by ' + e.to;
      line.appendChild(title);
      s.appendChild(line);
    }
    for (const n of list) {
      const grp = svg('g', { class: 'node' + (n.cycle ? ' cycle' : '') + (n.victim ? ' victim' : '') });
      grp.dataset.party = n.name;
      grp.appendChild(svg('circle', { cx: n.x, cy: n.y, r: 16 }));
      const t = svg('text', { x: n.x + 20, y: n.y + 4 });
      t.textContent = n.name.length > 60 ? n.name.substring(0, 60) + '…' : n.name;
      grp.appendChild(t);
      s.appendChild(grp);
    }
    if (list.length === 0) {
      const t = svg('text', { x: 20, y: 30 });
      t.textContent = 'No waits now and no deadlock yet.';
      s.appendChild(t);
    }
    const body = $('deadlocks-table').tBodies[0];
    body.replaceChildren();
    for (const r of g.deadlocks.slice().reverse()) {
      const tr = document.createElement('tr');
      tr.appendChild(el('td', r.detected_at));
      tr.appendChild(el('td', r.via));
      tr.appendChild(el('td', r.size));
      const c = el('td');
      const ol = el('ol');
      for (const m of r.cycle) ol.appendChild(el('li', m.party + ' waits for ' + m.waits_for + ' held by ' + m.blocked_by.join(', ')));
      c.appendChild(ol);
      tr.appendChild(c);
      tr.appendChild(el('td', r.victim || '(none)', 'victim-name'));
      tr.appendChild(el('td', r.policy));
      body.appendChild(tr);
    }
  }

  function renderDeliveries(list) {
    const body = $('deliveries-table').tBodies[0];
    body.replaceChildren();
    for (const d of list) {
      const a = d.admissions || {};
      const tr = document.createElement('tr');
      tr.dataset.channel = d.channel;
      for (const v of [d.channel, a.accepted || 0, a.duplicate || 0, a.busy || 0, a.rejected || 0, d.delivered || 0, d.retried || 0, d.failed || 0]) tr.appendChild(el('td', v));
      body.appendChild(tr);
    }
  }

  function renderCluster(c) {
    const b = $('cluster-body');
    b.replaceChildren();
    if (!c.enabled) { b.appendChild(el('p', 'Not in cluster mode (cluster.enabled: false).', 'hint')); return; }
    const t = el('table');
    for (const [k, v] of [['This node', c.node_id || '(host name and pid)'], ['Session leases held', c.leases], ['Turn permits (this node\'s share)', c.permits], ['Cluster cap (max_concurrent_total)', c.max_concurrent_total || 'none'], ['Fenced commits', c.fenced]]) {
      const tr = el('tr');
      tr.appendChild(el('th', k));
      tr.appendChild(el('td', v));
      t.appendChild(tr);
    }
    b.appendChild(t);
    b.appendChild(el('p', 'Other nodes are not listed: each node\'s console shows its own leases and permits.', 'hint'));
  }

  function act(action, session) {
    fetch('/console/actions/' + action, {
      method: 'POST',
      headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'session=' + encodeURIComponent(session),
    }).then(r => r.json().then(j => ({ ok: r.ok, j: j }))).then(({ ok, j }) => {
      $('action-result').textContent = ok
        ? action + ' ' + j.session + ': ' + j.cancelled + ' turn(s) cancelled, ' + j.dropped + ' queued message(s) dropped'
        : action + ' ' + session + ': ' + ((j.error && j.error.message) || 'failed');
    }).catch(() => { $('action-result').textContent = action + ' ' + session + ': the request failed'; });
  }

  document.addEventListener('click', e => {
    const b = e.target.closest('button.act');
    if (!b) return;
    act(b.dataset.action, b.dataset.session || streamSession);
  });
  document.addEventListener('DOMContentLoaded', () => {
    $('session-search').addEventListener('input', () => { if (last) renderSessions(last.sessions); });
    window.addEventListener('hashchange', route);
    route();
  });
})();
