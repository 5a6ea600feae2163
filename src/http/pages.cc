#include "http/pages.h"

namespace aviary::http {

const char kPageHtml[] = R"ASSET(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Aviary</title>
<link rel="stylesheet" href="/style.css"></head>
<body><header><a href="/" class="brand">Aviary</a> <a href="/">Jobs</a> <a href="/workers">Workers</a>
<span id="updated"></span></header>
<main id="main">Loading…</main>
<script src="/app.js"></script></body></html>
)ASSET";

const char kStyleCss[] = R"ASSET(body{font:14px/1.4 sans-serif;margin:0;color:#222}
header{background:#234;color:#fff;padding:8px 16px}header a{color:#fff;margin-right:16px;text-decoration:none}
.brand{font-weight:bold}#updated{float:right;color:#abc;font-size:12px}
main{padding:12px 16px}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}th{background:#eef}
.SUCCEEDED,.succeeded{color:#080}.FAILED,.failed,.CANCELLED,.killed,.lost{color:#b00}
.running,.MAPPING,.REDUCING,.COMMITTING{color:#06c}pre{background:#f6f6f6;padding:6px;white-space:pre-wrap;max-height:300px;overflow:auto}
svg text{font-size:11px}.filters a{margin-right:10px}
)ASSET";

const char kAppJs[] = R"ASSET('use strict';
// The whole UI: three views chosen by the path, each drawn from the JSON API (docs/web-ui.md).
const main = document.getElementById('main');
const esc = s => String(s === undefined || s === null ? '' : s).replace(/[&<>"']/g,
  c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
const time = t => t > 0 ? new Date(t * 1000).toLocaleTimeString() : '';
const secs = s => (s || 0).toFixed(1) + ' s';
const bytes = b => b >= 1 << 20 ? (b / 1048576).toFixed(1) + ' MiB' : b >= 1024 ? (b / 1024).toFixed(1) + ' KiB' : (b || 0) + ' B';

async function api(path) {
  const r = await fetch(path);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

function table(head, rows) {
  return '<table><tr>' + head.map(h => '<th>' + esc(h) + '</th>').join('') + '</tr>' +
    rows.map(r => '<tr>' + r.map(c => '<td>' + c + '</td>').join('') + '</tr>').join('') + '</table>';
}

async function jobsView() {
  const state = new URLSearchParams(location.search).get('state') || '';
  const jobs = await api('/api/jobs' + (state ? '?state=' + encodeURIComponent(state) : ''));
  const filters = ['all', 'running', 'finished', 'succeeded', 'failed', 'cancelled']
    .map(f => '<a href="/?state=' + f + '">' + f + '</a>').join('');
  main.innerHTML = '<h2>Jobs</h2><div class="filters">' + filters + '</div>' +
    table(['job', 'name', 'state', 'maps', 'reduces', 'input', 'output records', 'submitted', 'elapsed'],
      jobs.map(j => ['<a class="job-link" href="/jobs/' + esc(j.job_id) + '">' + esc(j.job_id) + '</a>',
        esc(j.spec.name), '<span class="' + esc(j.state) + '">' + esc(j.state) + '</span>',
        j.maps_done + '/' + j.maps_total, j.reduces_done + '/' + j.reduces_total,
        Math.max(j.input_records, (j.progress || {}).input_records || 0) + ' (' + bytes(j.input_bytes) + ')', j.output_records, time(j.submit_unix), secs(j.elapsed_s)]));
  return jobs.some(j => !j.ended);
}

// One bar per attempt, a row per attempt, on a shared time axis.
function timeline(job) {
  const rows = [];
  for (const t of job.tasks) for (const a of t.attempts) rows.push({t, a});
  if (!rows.length) return '<p>No attempts yet.</p>';
  const t0 = Math.min(...rows.map(r => r.a.start_unix).filter(x => x > 0), job.submit_unix || Infinity);
  const t1 = Math.max(job.end_unix || job.now_unix, ...rows.map(r => r.a.end_unix || job.now_unix));
  const span = Math.max(t1 - t0, 0.001), W = 900, L = 150, H = 16;
  const x = t => L + (t - t0) / span * (W - L - 10);
  const color = {running: '#4a90d9', succeeded: '#4caf50', failed: '#d9534f', killed: '#999', lost: '#f0ad4e'};
  let svg = '<svg id="timeline" width="' + W + '" height="' + (rows.length * H + 24) + '">';
  rows.forEach((r, i) => {
    const y = i * H + 4, end = r.a.end_unix || job.now_unix;
    const name = (r.t.kind === 'MAP' ? 'map ' : 'reduce ') + r.t.task + ' #' + r.a.attempt;
    svg += '<text x="4" y="' + (y + 11) + '">' + esc(name) + '</text>' +
      '<rect class="attempt" x="' + x(r.a.start_unix) + '" y="' + y + '" height="' + (H - 4) + '" width="' +
      Math.max(2, x(end) - x(r.a.start_unix)) + '" fill="' + (color[r.a.state] || '#666') + '"><title>' +
      esc(name + ' on ' + r.a.worker_address + ': ' + r.a.state + ', ' + (end - r.a.start_unix).toFixed(2) + ' s') +
      '</title></rect>';
  });
  const y = rows.length * H + 18;
  svg += '<text x="' + L + '" y="' + y + '">0 s</text><text x="' + (W - 60) + '" y="' + y + '">' + span.toFixed(2) + ' s</text></svg>';
  return svg;
}

async function jobView(id) {
  const job = await api('/api/jobs/' + encodeURIComponent(id));
  const attempts = [];
  for (const t of job.tasks) for (const a of t.attempts) {
    attempts.push([esc(t.kind.toLowerCase() + ' ' + t.task), a.attempt, '<span class="' + esc(a.state) + '">' + esc(a.state) + '</span>' +
      (a.carried ? ' (carried by map ' + a.carried_by_task + ' #' + a.carried_by_attempt + ')' : ''),
      esc(a.worker_address), time(a.start_unix), time(a.end_unix), Math.max(a.records_in, (a.counters || {}).input_records || (a.counters || {}).reduce_input_values || 0),
      a.records_out, bytes(a.bytes_in),
      bytes(Number(t.kind === 'MAP' ? (a.counters || {}).map_output_bytes : (a.counters || {}).output_bytes) || 0), esc(t.input), a.error ? '<pre>' + esc(a.error) + '</pre>' : '']);
  }
  // The engine's counters so far (the winners' totals once the job has ended), then the job's own.
  const engine = Object.entries(job.progress || {}).filter(([k, v]) => v)
    .map(([k, v]) => [k, k.endsWith('_bytes') ? bytes(v) : k === 'cpu_seconds' ? secs(v) : v]);
  const counters = engine.concat(Object.entries(job.counter_map)).map(([k, v]) => [esc(k), esc(v)]);
  const c = job.counts || {};
  const counts = [[c.input, c.emit, c.reduce, c.output, c.time_millis, c.map_millis, c.shuffle_millis, c.reduce_millis, c.commit_millis]];
  const phases = job.phases.map(p => [esc(p.name), time(p.start_unix), p.end_unix ? time(p.end_unix) : (p.start_unix ? 'running' : '')]);
  const locality = job.locality.filter(l => l.shard).map(l => [l.task + ' #' + l.attempt, esc(l.shard), esc(l.worker_address),
    l.read_locally ? 'local' : 'remote', l.records_in, l.orphans_skipped]);
  const cancel = job.ended ? '' : '<form id="cancel"><input type="password" id="secret" placeholder="cluster secret"> <button>Cancel job</button></form>';
  main.innerHTML = '<h2 id="job-title">Job ' + esc(job.job_id) + ' (' + esc(job.spec.name) + ') <span id="job-state" class="' + esc(job.state) + '">' + esc(job.state) + '</span></h2>' +
    '<p>' + esc(job.spec.input_uri) + ' → ' + esc(job.spec.output_uri) + '; maps ' + job.maps_done + '/' + job.maps_total +
    ', reduces ' + job.reduces_done + '/' + job.reduces_total + ', elapsed ' + secs(job.elapsed_s) + '</p>' +
    (job.spec.input_consistency ? '<p id="input-consistency">Input read at: ' + esc(job.spec.input_consistency) + '</p>' : '') + cancel +
    (job.error ? '<h3>Error</h3><pre id="job-error">' + esc(job.error) + '</pre>' : '') +
    '<h3>Timeline</h3>' + timeline(job) + '<h3>Phases</h3>' + table(['phase', 'start', 'end'], phases) +
    '<h3>Counters</h3><div id="counters">' + table(['counter', 'value'], counters) + '</div>' +
    (job.ended ? '<h3>MongoDB counts</h3><div id="counts">' + table(['input', 'emit', 'reduce', 'output', 'timeMillis', 'map ms', 'shuffle ms', 'reduce ms', 'commit ms'], counts) + '</div>' : '') +
    (locality.length ? '<h3>Locality</h3>' + table(['map attempt', 'shard', 'worker', 'read', 'records', 'orphans skipped'], locality) : '') +
    '<h3>Task attempts</h3><p><a id="task-logs" href="/api/jobs/' + encodeURIComponent(job.job_id) + '/logs">Task logs</a> (what every attempt wrote to stdout and stderr)</p>' +
    '<div id="attempts">' + table(['task', 'attempt', 'state', 'worker', 'start', 'end', 'records in', 'records out', 'bytes in', 'bytes out', 'input', 'error'], attempts) + '</div>';
  const form = document.getElementById('cancel');
  if (form) form.onsubmit = async e => {
    e.preventDefault();
    const r = await fetch('/api/jobs/' + encodeURIComponent(id) + '/cancel',
      {method: 'POST', headers: {Authorization: 'Bearer ' + document.getElementById('secret').value}});
    if (!r.ok) alert((await r.json()).error);
  };
  return !job.ended;
}

async function workersView() {
  const workers = await api('/api/workers');
  main.innerHTML = '<h2>Workers</h2>' + table(['worker', 'address', 'shard', 'alive', 'slots', 'busy', 'heartbeat age', 'running attempts'],
    workers.map(w => [esc(w.worker_id), esc(w.address), esc(w.shard), w.alive ? 'live' : '<span class="failed">dead</span>',
      w.slots, w.slots_busy, secs(w.heartbeat_age_s),
      w.running_attempts.map(a => esc(a.job_id + ' ' + a.kind.toLowerCase() + ' ' + a.task + ' #' + a.attempt)).join('<br>')]));
  return true;
}

// Redraws every second while something can still change (a running job, the workers).
async function refresh() {
  const path = location.pathname;
  let live = false;
  try {
    if (path.startsWith('/jobs/')) live = await jobView(decodeURIComponent(path.slice(6)));
    else if (path === '/workers') live = await workersView();
    else live = await jobsView();
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    main.innerHTML = '<p class="failed">' + esc(e.message) + '</p>';
    live = true;
  }
  if (live) setTimeout(refresh, 1000);
}
refresh();
)ASSET";

}  // namespace aviary::http
