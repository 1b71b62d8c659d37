// SPDX-License-Identifier: GPL-2.0-or-later
// hover's web UI: one page, routed by the URL's fragment (#/, #/new,
// #/vm/NAME/console, #/vm/NAME/logs). Everything comes from hoverd: the JSON
// API under /api/ (the same one `hover` uses on the unix socket), the list and
// its counters pushed every second on /ws/metrics, the serial console on
// /ws/console/NAME. The token arrives once in the fragment (#token=...), is
// traded for an HttpOnly cookie by POST /login and wiped from the address bar.
'use strict';

const $ = (sel) => document.querySelector(sel);
const HISTORY = 60; // samples per graph: a minute at one per second
const ui = { vms: [], hist: new Map(), metricsWs: null, term: null, consoleWs: null,
             logsAbort: null, page: null, bearer: null, actions: null };

function toast(msg) {
  const t = $('#toast');
  t.textContent = msg;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 4000);
}

class ApiError extends Error {
  constructor(status, message, field) { super(message); this.status = status; this.field = field; }
}

async function api(method, path, body) {
  const opts = { method, credentials: 'same-origin', headers: {} };
  // on the first visit, until the cookie is set, the token from the address goes along
  if (ui.bearer) opts.headers.Authorization = 'Bearer ' + ui.bearer;
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const r = await fetch('/api' + path, opts);
  let j = null;
  try { j = await r.json(); } catch (e) { /* an empty or non-JSON body */ }
  if (r.status === 401) { showPage('login'); }
  if (!r.ok) {
    const e = (j && j.error) || {};
    throw new ApiError(r.status, e.message || r.statusText, e.field);
  }
  return j;
}

async function login(token) {
  const r = await fetch('/login', { method: 'POST', headers: { Authorization: 'Bearer ' + token } });
  return r.ok;
}

// ---- formatting ----
function fmtBytes(n) {
  if (n == null) return '-';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(n < 10 ? 1 : 0) : n) + ' ' + u[i];
}
function fmtUptime(s) {
  if (s == null) return '';
  s = Math.floor(s);
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
  if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
  return Math.floor(s / 86400) + 'd ' + Math.floor((s % 86400) / 3600) + 'h';
}
const live = (st) => st === 'running' || st === 'paused' || st === 'starting';

// ---- graphs: rates from successive samples of the VM's counters ----
function sample(vm, time) {
  let h = ui.hist.get(vm.name);
  if (!h) { h = { cpu: [], mem: [], disk: [], net: [], last: null }; ui.hist.set(vm.name, h); }
  const m = vm.metrics;
  if (!m) { h.last = null; return h; }
  const cur = { t: time, cpu: m.process.user_cpu_s + m.process.system_cpu_s,
                disk: m.disk ? m.disk.read_bytes + m.disk.written_bytes : 0,
                net: m.net ? m.net.rx_bytes + m.net.tx_bytes : 0 };
  if (h.last && cur.t > h.last.t) {
    const dt = cur.t - h.last.t;
    push(h.cpu, Math.max(0, (cur.cpu - h.last.cpu) / dt * 100));
    push(h.disk, Math.max(0, (cur.disk - h.last.disk) / dt));
    push(h.net, Math.max(0, (cur.net - h.last.net) / dt));
  }
  push(h.mem, m.memory.rss_bytes);
  h.last = cur;
  return h;
}
function push(a, v) { a.push(v); if (a.length > HISTORY) a.shift(); }

// Draw every graph in two passes: all sizes read, then all pixels written, so the
// browser lays the page out once rather than once per canvas.
function drawAll(jobs) {
  const dpr = window.devicePixelRatio || 1;
  const sizes = jobs.map(([c]) => [c.clientWidth * dpr, c.clientHeight * dpr]);
  jobs.forEach(([canvas, values, floor], i) => {
    const [w, hgt] = sizes[i];
    if (canvas.width !== w || canvas.height !== hgt) { canvas.width = w; canvas.height = hgt; }
    const g = canvas.getContext('2d');
    g.clearRect(0, 0, w, hgt);
    canvas.dataset.samples = values.length;
    canvas.dataset.last = values.length ? values[values.length - 1] : '';
    if (values.length < 2) return;
    const max = Math.max(floor, ...values);
    g.beginPath();
    values.forEach((v, k) => {
      const x = (k / (HISTORY - 1)) * w, y = hgt - (v / max) * (hgt - 2 * dpr) - dpr;
      if (k) g.lineTo(x, y); else g.moveTo(x, y);
    });
    g.strokeStyle = '#2f6fdb';
    g.lineWidth = 1.5 * dpr;
    g.stroke();
  });
}

// ---- the VM list ----
// The buttons come from hoverd's action table (GET /api/actions: name, label, the states
// each is allowed in), so the UI, the CLI and the API agree; Delete is DELETE /vms/NAME.
const DELETE = { name: 'delete', label: 'Delete', states: ['stopped', 'crashed'], summary: 'delete the VM' };
let actionsLoad = null;
function loadActions() {
  if (!actionsLoad) {
    actionsLoad = api('GET', '/actions').then((list) => {
      ui.actions = list.filter((a) => a.label).concat([DELETE]);
    }).catch((e) => { actionsLoad = null; throw e; });
  }
  return actionsLoad;
}
const BUTTON_CLASS = { start: 'primary', off: 'danger', delete: 'danger' };

// One card built once and cloned per VM; one click handler on the list for every button.
let cardProto = null;
function protoCard() {
  if (cardProto) return cardProto;
  const c = document.createElement('div');
  c.className = 'card';
  c.innerHTML = `<h2><span class="name"></span><span class="badge state"></span></h2>
    <div class="facts"></div><div class="exit"></div>
    <div class="graphs">
      <div class="graph">CPU <span class="v-cpu"></span><canvas class="g-cpu"></canvas></div>
      <div class="graph">Memory (RSS) <span class="v-mem"></span><canvas class="g-mem"></canvas></div>
      <div class="graph">Disk <span class="v-disk"></span><canvas class="g-disk"></canvas></div>
      <div class="graph">Network <span class="v-net"></span><canvas class="g-net"></canvas></div>
    </div>
    <div class="actions"></div>`;
  const acts = c.querySelector('.actions');
  const buttons = ui.actions.map((a) => [a.label, a.name, a.summary])
    .concat([['Console', 'console', 'the serial console'], ['Logs', 'logs', 'console output']]);
  for (const [label, name, summary] of buttons) {
    const b = document.createElement('button');
    b.textContent = label;
    b.title = summary;
    b.dataset.action = name;
    if (BUTTON_CLASS[name]) b.className = BUTTON_CLASS[name];
    acts.appendChild(b);
  }
  cardProto = c;
  return c;
}

function card(vm) {
  const id = 'vm-' + vm.name;
  let c = document.getElementById(id);
  if (c) return c;
  c = protoCard().cloneNode(true);
  c.id = id;
  c.dataset.name = vm.name;
  c.querySelector('.name').textContent = vm.name;
  return c;
}

function onListClick(ev) {
  const b = ev.target.closest('button[data-action]');
  const c = b && b.closest('.card');
  if (!c) return;
  const name = c.dataset.name, act = b.dataset.action;
  if (act === 'console' || act === 'logs') location.hash = `#/vm/${encodeURIComponent(name)}/${act}`;
  else if (act === 'delete') removeVm(name);
  else doAction(name, act);
}

function renderList(time) {
  if (!ui.actions) return; // the first list waits for the action table (refreshList)
  const list = $('#vm-list');
  const seen = new Set();
  const jobs = [];
  const vms = [...ui.vms].sort((a, b) => a.name.localeCompare(b.name));
  for (const vm of vms) {
    seen.add('vm-' + vm.name);
    const c = card(vm);
    if (c.parentNode !== list || list.children[seen.size - 1] !== c)
      list.insertBefore(c, list.children[seen.size - 1] || null);
    const st = c.querySelector('.state');
    st.textContent = vm.state;
    st.className = 'badge state state-' + vm.state;
    c.dataset.state = vm.state;
    const engine = (vm.metrics && vm.metrics.accel) || vm.accel;
    c.querySelector('.facts').textContent = [engine, vm.vcpus + ' CPU' + (vm.vcpus > 1 ? 's' : ''),
      fmtBytes(vm.memory_bytes), live(vm.state) ? 'up ' + fmtUptime(vm.uptime_s) : ''].filter(Boolean).join(' · ');
    c.querySelector('.exit').textContent =
      !live(vm.state) && vm.last_exit && vm.last_exit.message ? 'Last exit: ' + vm.last_exit.message : '';
    for (const b of c.querySelectorAll('.actions button')) {
      const a = ui.actions.find((x) => x.name === b.dataset.action);
      if (a) b.disabled = !a.states.includes(vm.state);
    }
    const h = time !== undefined ? sample(vm, time) : ui.hist.get(vm.name);
    // a VM with no counters now and none drawn before has nothing to draw
    if (h && (vm.metrics || c.dataset.drawn)) {
      c.dataset.drawn = vm.metrics ? '1' : '';
      jobs.push([c.querySelector('.g-cpu'), h.cpu, 5], [c.querySelector('.g-mem'), h.mem, 1 << 20],
                [c.querySelector('.g-disk'), h.disk, 4096], [c.querySelector('.g-net'), h.net, 1024]);
      const last = (a) => a.length ? a[a.length - 1] : null;
      c.querySelector('.v-cpu').textContent = last(h.cpu) != null && vm.metrics ? last(h.cpu).toFixed(0) + '%' : '';
      c.querySelector('.v-mem').textContent = vm.metrics ? fmtBytes(last(h.mem)) : '';
      c.querySelector('.v-disk').textContent = last(h.disk) != null && vm.metrics ? fmtBytes(last(h.disk)) + '/s' : '';
      c.querySelector('.v-net').textContent = last(h.net) != null && vm.metrics ? fmtBytes(last(h.net)) + '/s' : '';
    }
  }
  for (const c of [...list.children]) if (!seen.has(c.id)) c.remove();
  drawAll(jobs);
  $('#vm-count').textContent = `(${ui.vms.length})`;
  $('#list-empty').hidden = ui.vms.length > 0;
}

async function refreshList() {
  try {
    const [vms] = await Promise.all([api('GET', '/vms'), loadActions()]);
    // keep the metrics the last push brought until the next one
    const old = new Map(ui.vms.map((v) => [v.name, v.metrics]));
    ui.vms = vms.map((v) => (live(v.state) && old.get(v.name) ? { ...v, metrics: old.get(v.name) } : v));
    renderList();
  } catch (e) {
    if (e.status !== 401) toast(e.message);
  }
}

async function doAction(name, act) {
  try {
    await api('POST', `/vms/${encodeURIComponent(name)}/${act}`, act === 'stop' ? { timeout: 30 } : undefined);
    toast(`${name}: ${act} done`);
  } catch (e) {
    toast(`${name}: ${e.message}`);
  }
  refreshList();
}

async function removeVm(name) {
  if (!confirm(`Delete VM ${name}? Its definition and log are removed.`)) return;
  try {
    await api('DELETE', `/vms/${encodeURIComponent(name)}`);
    ui.hist.delete(name);
    toast(`${name} deleted`);
  } catch (e) {
    toast(`${name}: ${e.message}`);
  }
  refreshList();
}

function wsUrl(path) {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
}

function startMetrics() {
  if (ui.metricsWs) return;
  const ws = new WebSocket(wsUrl('/ws/metrics'));
  ui.metricsWs = ws;
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    ui.vms = m.vms;
    renderList(m.time);
  };
  ws.onclose = () => {
    ui.metricsWs = null;
    setTimeout(startMetrics, 2000); // hoverd restarted, or the network blinked
  };
}

// ---- create ----
const PORT_RE = /^(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/;

function clearErrors() {
  for (const e of document.querySelectorAll('#create-form .error')) e.textContent = '';
  for (const e of document.querySelectorAll('#create-form .invalid')) e.classList.remove('invalid');
}
function fieldError(field, msg) {
  const el = document.getElementById('err-' + field) || $('#err-form');
  el.textContent = msg;
  const input = document.getElementById('f-' + field);
  if (input) { input.classList.add('invalid'); input.focus(); }
}
const lines = (id) => $(id).value.split('\n').map((s) => s.trim()).filter(Boolean);

function formDefinition() {
  const def = { name: $('#f-name').value.trim() };
  for (const k of ['kernel', 'initrd', 'cmdline', 'memory']) {
    const v = $('#f-' + k).value.trim();
    if (v) def[k] = v;
  }
  const cpus = $('#f-cpus').value.trim();
  if (cpus) {
    if (!/^\d+$/.test(cpus)) throw new ApiError(0, 'CPUs: a whole number from 1 to 64', 'cpus');
    def.cpus = Number(cpus);
  }
  def.accel = $('#f-accel').value;
  def.disk = lines('#f-disk');
  def.net = lines('#f-net');
  const fwd = [];
  for (const p of lines('#f-ports')) {
    const m = PORT_RE.exec(p);
    if (!m || +m[1] < 1 || +m[1] > 65535 || +m[2] < 1 || +m[2] > 65535)
      throw new ApiError(0, `"${p}": not a port forward (HOSTPORT:GUESTPORT, e.g. 8080:80, or 5353:53/udp)`, 'ports');
    fwd.push(`hostfwd=${m[3] || 'tcp'}:127.0.0.1:${m[1]}-:${m[2]}`);
  }
  if (fwd.length) def.net.push(['user', ...fwd].join(','));
  if (!def.name) throw new ApiError(0, 'a name is required', 'name');
  return def;
}

async function onCreate(ev) {
  ev.preventDefault();
  clearErrors();
  const btn = $('#create-submit');
  let def;
  try {
    def = formDefinition();
  } catch (e) {
    return fieldError(e.field, e.message);
  }
  btn.disabled = true;
  try {
    await api('POST', '/vms', def);
  } catch (e) {
    btn.disabled = false;
    // the API names the definition key it refused; a forward's error is about "net"
    return fieldError(e.field === 'net' && lines('#f-net').length === 0 ? 'ports' : e.field || 'form', e.message);
  }
  if ($('#f-start').checked) {
    try {
      await api('POST', `/vms/${encodeURIComponent(def.name)}/start`);
    } catch (e) {
      toast(`${def.name} was created but did not start: ${e.message}`);
    }
  }
  btn.disabled = false;
  $('#create-form').reset();
  location.hash = '#/';
}

// ---- console ----
let xtermLoaded = null;
function loadXterm() {
  if (!xtermLoaded) {
    xtermLoaded = new Promise((resolve, reject) => {
      const css = document.createElement('link');
      css.rel = 'stylesheet';
      css.href = 'xterm.css';
      document.head.appendChild(css);
      const js = document.createElement('script');
      js.src = 'xterm.js';
      js.onload = resolve;
      js.onerror = () => { xtermLoaded = null; reject(new Error('cannot load xterm.js')); };
      document.head.appendChild(js);
    });
  }
  return xtermLoaded;
}

async function openConsole(name) {
  const opened = ui.page;
  await loadXterm();
  if (ui.page !== 'console' || opened !== ui.page || ui.term) return; // left meanwhile
  const term = new Terminal({ convertEol: false, cursorBlink: true, fontSize: 14, scrollback: 5000 });
  ui.term = term;
  term.open($('#terminal'));
  fitTerminal();
  const status = $('#console-status');
  status.textContent = 'connecting';
  const ws = new WebSocket(wsUrl('/ws/console/' + encodeURIComponent(name)));
  ws.binaryType = 'arraybuffer';
  ui.consoleWs = ws;
  ws.onopen = () => { status.textContent = 'connected'; term.focus(); };
  ws.onmessage = (e) => term.write(new Uint8Array(e.data));
  ws.onclose = () => { status.textContent = 'disconnected (the VM is not running)'; };
  const enc = new TextEncoder();
  term.onData((d) => { if (ws.readyState === WebSocket.OPEN) ws.send(enc.encode(d)); });
}

// Columns and rows from the box's size (xterm's fit addon does this; one less package).
function fitTerminal() {
  const t = ui.term;
  if (!t) return;
  const box = $('#terminal');
  const cell = t._core && t._core._renderService && t._core._renderService.dimensions;
  const cw = (cell && cell.css && cell.css.cell.width) || 8.4, ch = (cell && cell.css && cell.css.cell.height) || 17;
  t.resize(Math.max(20, Math.floor((box.clientWidth - 8) / cw)), Math.max(5, Math.floor((box.clientHeight - 8) / ch)));
}

function closeConsole() {
  if (ui.consoleWs) { ui.consoleWs.onclose = null; ui.consoleWs.close(); ui.consoleWs = null; }
  if (ui.term) { ui.term.dispose(); ui.term = null; }
}

// ---- logs ----
async function openLogs(name) {
  const pre = $('#logs');
  pre.textContent = '';
  const ctl = new AbortController();
  ui.logsAbort = ctl;
  const follow = $('#logs-follow').checked;
  try {
    const r = await fetch(`/api/vms/${encodeURIComponent(name)}/logs?tail=1000${follow ? '&follow=1' : ''}`,
                          { signal: ctl.signal, credentials: 'same-origin' });
    if (!r.ok) { pre.textContent = (await r.json()).error.message; return; }
    const rd = r.body.getReader(), dec = new TextDecoder();
    for (;;) {
      const { value, done } = await rd.read();
      if (done) break;
      const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      // plain text: terminal control sequences (colours, the shell's cursor queries) dropped
      pre.textContent += dec.decode(value, { stream: true }).replace(/\r/g, '')
        .replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78cDEHMNOZ]/g, '');
      if (atEnd) pre.scrollTop = pre.scrollHeight;
    }
  } catch (e) {
    if (e.name !== 'AbortError') pre.textContent += '\n[' + e.message + ']';
  }
}
function closeLogs() {
  if (ui.logsAbort) { ui.logsAbort.abort(); ui.logsAbort = null; }
}

// ---- pages ----
function showPage(p) {
  for (const s of document.querySelectorAll('main > section')) s.hidden = s.id !== 'page-' + p;
  ui.page = p;
}

function route() {
  closeConsole();
  closeLogs();
  const h = location.hash || '#/';
  const m = /^#\/vm\/([^/]+)\/(console|logs)$/.exec(h);
  if (m) {
    const name = decodeURIComponent(m[1]);
    for (const t of document.querySelectorAll('.vm-title')) t.textContent = name;
    showPage(m[2]);
    if (m[2] === 'console') openConsole(name); else openLogs(name);
  } else if (h === '#/new') {
    showPage('new');
    clearErrors();
  } else {
    showPage('list');
    refreshList();
  }
}

async function start() {
  const m = /token=([0-9a-fA-F]+)/.exec(location.hash);
  if (m) {
    history.replaceState(null, '', location.pathname + '#/'); // the token leaves the address bar
    // the list loads with the token in a header while the cookie is being set (one round
    // trip less); WebSockets carry no header, so they wait for the cookie
    ui.bearer = m[1];
    route();
    const ok = await login(m[1]);
    ui.bearer = null;
    if (ok) startMetrics();
    return;
  }
  // no round trip to ask whether we are signed in: the first API call says so (401)
  startMetrics();
  route();
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (await login($('#login-token').value.trim())) {
    $('#login-error').textContent = '';
    startMetrics();
    location.hash = '#/';
    route();
  } else {
    $('#login-error').textContent = 'That token was refused.';
  }
});
$('#create-form').addEventListener('submit', onCreate);
$('#vm-list').addEventListener('click', onListClick);
$('#logs-follow').addEventListener('change', () => { const m = /^#\/vm\/([^/]+)\/logs$/.exec(location.hash); if (m) { closeLogs(); openLogs(decodeURIComponent(m[1])); } });
window.addEventListener('hashchange', route);
window.addEventListener('resize', fitTerminal);
start();
