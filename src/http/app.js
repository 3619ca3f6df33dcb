// dkv's operator page: live charts from /api/stats, the keyspace browser over /api/tree and
// /api/key, and the slow log. Plain JavaScript, no dependencies, served from the binary.
'use strict';

const HISTORY = 120;  // points per chart (two minutes at one poll per second)
const series = { ops: [], memory: [], hits: [], clients: [] };
let previous = null;
let maxmemory = 0;
let currentNamespace = '0';

function $(id) { return document.getElementById(id); }

function humanBytes(n) {
  if (n < 1024) return n + ' B';
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let u = -1;
  do { n /= 1024; u++; } while (n >= 1024 && u < units.length - 1);
  return n.toFixed(n < 10 ? 2 : 1) + ' ' + units[u];
}

function humanMs(ms) {
  if (ms < 0) return 'no expiry';
  if (ms < 1000) return ms + ' ms';
  const s = Math.round(ms / 1000);
  if (s < 120) return s + ' s';
  if (s < 7200) return Math.round(s / 60) + ' min';
  if (s < 172800) return (s / 3600).toFixed(1) + ' h';
  return (s / 86400).toFixed(1) + ' days';
}

function dateOf(ms) { return ms > 0 ? new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC') : '–'; }

async function getJson(url) {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) {
    const error = new Error(url + ': HTTP ' + response.status);
    error.status = response.status;
    error.text = (await response.text()).trim();
    throw error;
  }
  return response.json();
}

function setStatus(text, isError) {
  const s = $('status');
  s.textContent = text;
  s.className = 'status' + (isError ? ' error' : '');
}

// --- charts ---------------------------------------------------------------------------------

function push(name, value) {
  const s = series[name];
  s.push(value);
  if (s.length > HISTORY) s.shift();
}

function drawChart(canvas, values, format, limit) {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width, h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * ratio)) { canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio); }
  const g = canvas.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, w, h);
  const pad = { l: 6, r: 6, t: 14, b: 6 };
  const finite = values.filter((v) => v !== null);
  let top = Math.max(1, ...finite, limit || 0) * 1.1;
  g.strokeStyle = '#d9dde6';
  g.lineWidth = 1;
  g.beginPath();
  g.moveTo(pad.l, h - pad.b); g.lineTo(w - pad.r, h - pad.b);
  g.stroke();
  g.fillStyle = '#6b7385';
  g.font = '11px system-ui, sans-serif';
  g.fillText(format(top / 1.1), pad.l, 11);
  const x = (i) => pad.l + (w - pad.l - pad.r) * (i + HISTORY - values.length) / (HISTORY - 1);
  const y = (v) => h - pad.b - (h - pad.t - pad.b) * v / top;
  if (limit) {
    g.strokeStyle = '#e39b3b';
    g.setLineDash([4, 3]);
    g.beginPath(); g.moveTo(pad.l, y(limit)); g.lineTo(w - pad.r, y(limit)); g.stroke();
    g.setLineDash([]);
  }
  g.strokeStyle = '#2f6fdf';
  g.lineWidth = 1.6;
  g.beginPath();
  let drawing = false;
  values.forEach((v, i) => {
    if (v === null) { drawing = false; return; }
    if (drawing) g.lineTo(x(i), y(v)); else g.moveTo(x(i), y(v));
    drawing = true;
  });
  g.stroke();
  canvas.dataset.points = String(finite.length);
}

function redraw() {
  drawChart($('chart-ops'), series.ops, (v) => Math.round(v) + ' ops/s');
  drawChart($('chart-memory'), series.memory, humanBytes, maxmemory);
  drawChart($('chart-hits'), series.hits, (v) => Math.min(100, v).toFixed(0) + ' %');
  drawChart($('chart-clients'), series.clients, (v) => String(Math.round(v)));
}

async function pollStats() {
  try {
    const s = await getJson('/api/stats');
    $('server-info').textContent = 'dkv ' + s.version + ' (Redis ' + s.redis_version + ') · up ' +
      humanMs(s.uptime_s * 1000) + ' · ' + s.keys + ' keys · ' + s.persistence_backend + ' persistence';
    maxmemory = s.maxmemory;
    if (previous !== null) {
      const dt = Math.max(1, s.time_ms - previous.time_ms) / 1000;
      const ops = Math.max(0, s.commands_processed - previous.commands_processed) / dt;
      const reads = (s.keyspace_hits - previous.keyspace_hits) + (s.keyspace_misses - previous.keyspace_misses);
      const hits = reads > 0 ? 100 * (s.keyspace_hits - previous.keyspace_hits) / reads : null;
      push('ops', ops);
      push('hits', hits);
      $('now-ops').textContent = Math.round(ops);
      $('now-hits').textContent = hits === null ? 'no reads' : hits.toFixed(1) + ' %';
    }
    push('memory', s.memory_used);
    push('clients', s.connected_clients);
    $('now-memory').textContent = humanBytes(s.memory_used) + (s.maxmemory > 0 ? ' of ' + humanBytes(s.maxmemory) : '');
    $('now-clients').textContent = s.connected_clients;
    previous = s;
    redraw();
    setStatus('', false);
  } catch (e) {
    setStatus('cannot reach the server: ' + e.message, true);
  }
}

// --- keyspace browser -----------------------------------------------------------------------

async function loadNamespaces() {
  const data = await getJson('/api/namespaces');
  const select = $('namespace');
  select.textContent = '';
  for (const ns of data.namespaces) {
    const option = document.createElement('option');
    option.value = ns.name;
    option.textContent = ns.name + ' (' + ns.keys + ' keys)';
    if (ns.name === currentNamespace) option.selected = true;
    select.appendChild(option);
  }
}

function nodeElement(child) {
  const li = document.createElement('li');
  li.className = 'node';
  li.setAttribute('role', 'treeitem');
  li.dataset.path = child.path;
  li.dataset.pct = child.pct;
  const row = document.createElement('div');
  row.className = 'row';
  const toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.className = 'toggle';
  const hasChildren = child.keys > (child.has_value ? 1 : 0);
  toggle.disabled = !hasChildren;
  toggle.textContent = '▸';
  toggle.setAttribute('aria-label', 'expand ' + child.path);
  toggle.addEventListener('click', () => toggleNode(li, toggle));
  const name = document.createElement('span');
  name.className = 'name' + (child.has_value ? ' has-value' : '');
  name.textContent = child.name;
  name.title = child.path;
  if (child.has_value) name.addEventListener('click', () => showKey(child.pct));
  const count = document.createElement('span');
  count.className = 'count';
  count.textContent = child.keys + (child.keys === 1 ? ' key' : ' keys');
  const bytes = document.createElement('span');
  bytes.className = 'bytes';
  bytes.textContent = (child.bytes_estimated ? '≈ ' : '') + humanBytes(child.bytes);
  row.append(toggle, name, count, bytes);
  li.appendChild(row);
  return li;
}

function renderChildren(list, data) {
  list.textContent = '';
  for (const child of data.children) list.appendChild(nodeElement(child));
  if (data.truncated) {
    const more = document.createElement('li');
    more.className = 'more';
    more.textContent = 'more children not shown: narrow the path';
    list.appendChild(more);
  }
  if (data.children.length === 0) {
    const none = document.createElement('li');
    none.className = 'more';
    none.textContent = 'no keys';
    list.appendChild(none);
  }
}

async function fetchChildren(pct) {
  return getJson('/api/tree?ns=' + encodeURIComponent(currentNamespace) + '&prefix=' + pct);
}

async function toggleNode(li, toggle) {
  const open = li.querySelector(':scope > ul');
  if (open) {
    open.remove();
    toggle.textContent = '▸';
    li.setAttribute('aria-expanded', 'false');
    return;
  }
  const list = document.createElement('ul');
  list.setAttribute('role', 'group');
  li.appendChild(list);
  toggle.textContent = '▾';
  li.setAttribute('aria-expanded', 'true');
  try {
    renderChildren(list, await fetchChildren(li.dataset.pct));
  } catch (e) {
    setStatus(e.message, true);
  }
}

async function loadRoots() {
  try {
    renderChildren($('tree'), await fetchChildren(''));
  } catch (e) {
    if (e.status !== 403) return setStatus(e.message, true);
    // Refused (key names hidden without a password, or not this user's namespace): say why.
    const tree = $('tree');
    tree.textContent = '';
    const li = document.createElement('li');
    li.className = 'more';
    li.textContent = e.text;
    tree.appendChild(li);
  }
}

async function showKey(pct) {
  let k;
  try {
    k = await getJson('/api/key?ns=' + encodeURIComponent(currentNamespace) + '&key=' + pct);
  } catch (e) {
    return setStatus(e.message, true);
  }
  $('key-detail').hidden = false;
  $('key-name').textContent = k.key;
  if (!k.exists) {
    for (const id of ['key-type', 'key-ttl', 'key-size', 'key-memory', 'key-version', 'key-created',
                      'key-updated', 'key-accessed', 'key-content-type', 'key-user']) $(id).textContent = '–';
    $('key-value').textContent = '(the key no longer exists)';
    return;
  }
  $('key-type').textContent = k.type;
  $('key-ttl').textContent = humanMs(k.ttl_ms);
  // A container's size is its number of elements.
  const elements = {hash: ' fields', set: ' members', list: ' elements', zset: ' members'}[k.type];
  $('key-size').textContent = elements ? k.size + elements : humanBytes(k.size);
  $('key-memory').textContent = humanBytes(k.memory_bytes);
  $('key-version').textContent = k.version;
  $('key-created').textContent = dateOf(k.created_at);
  $('key-updated').textContent = dateOf(k.updated_at);
  $('key-accessed').textContent = dateOf(k.accessed_at);
  $('key-content-type').textContent = k.content_type === null ? '–' : k.content_type;
  const user = Object.entries(k.user).map(([f, v]) => f + ' = ' + v).join('\n');
  $('key-user').textContent = user || '–';
  if (k.value_in_memory === false) {
    $('key-value').textContent = '(the value is in PostgreSQL only: the cache tier dropped it from memory)';
  } else if (!k.value_shown) {
    $('key-value').textContent = '(values are hidden: set http-show-values yes to show them)';
  } else {
    const whole = elements ? k.size + elements : humanBytes(k.size);
    $('key-value').textContent = k.value + (k.value_truncated ? '\n… (first 4 KiB of ' + whole + ')' : '');
  }
}

// --- slow log -------------------------------------------------------------------------------

async function pollSlowlog() {
  try {
    const data = await getJson('/api/slowlog');
    const body = $('slowlog').querySelector('tbody');
    body.textContent = '';
    for (const e of data.entries) {
      const tr = document.createElement('tr');
      const cells = [e.id, dateOf(e.time * 1000), e.duration_us, e.args.join(' '), e.addr + (e.name ? ' ' + e.name : '')];
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (i === 3) td.className = 'cmd';
        tr.appendChild(td);
      });
      body.appendChild(tr);
    }
  } catch (e) {
    setStatus(e.message, true);
  }
}

async function start() {
  $('namespace').addEventListener('change', (ev) => {
    currentNamespace = ev.target.value;
    $('key-detail').hidden = true;
    loadRoots();
  });
  $('refresh').addEventListener('click', async () => { await loadNamespaces(); await loadRoots(); });
  pollStats();
  setInterval(pollStats, 1000);
  pollSlowlog();
  setInterval(pollSlowlog, 5000);
  try {
    await loadNamespaces();
  } catch (e) {
    setStatus(e.message, true);
  }
  await loadRoots();
}

document.addEventListener('DOMContentLoaded', start);
