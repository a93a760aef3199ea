// PMI Dashboard browser code: theme toggle, sortable and filterable tables, charts with ranges,
// live refresh of each cycle's data and the stale-data banner. No inline script anywhere: page
// data comes from <script type="application/json" id="page-data"> and JSON files.
(function () {
  'use strict';
  var root = document.documentElement;
  var MAX_POINTS = 600;

  // ---- theme --------------------------------------------------------------------------------
  function currentTheme() {
    var t = root.getAttribute('data-theme');
    if (t) return t;
    return window.matchMedia && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  }
  function syncToggle() {
    var b = document.getElementById('theme-toggle');
    if (!b) return;
    var dark = currentTheme() === 'dark';
    b.setAttribute('aria-pressed', dark ? 'true' : 'false');
    b.textContent = dark ? 'Light theme' : 'Dark theme';
  }
  function setupTheme() {
    var b = document.getElementById('theme-toggle');
    if (!b) return;
    syncToggle();
    b.addEventListener('click', function () {
      var next = currentTheme() === 'dark' ? 'light' : 'dark';
      root.setAttribute('data-theme', next);
      try { localStorage.setItem('pmi-theme', next); } catch { /* not persisted */ }
      syncToggle();
      redrawCharts();
    });
  }

  // ---- tables -------------------------------------------------------------------------------
  var UNIT = { B: 1, KiB: 1024, MiB: 1048576, GiB: 1073741824, TiB: 1099511627776, PiB: 1125899906842624, d: 86400, h: 3600, m: 60, s: 1 };
  /** Sort value of a cell: data-v when present, else the text read as a number with units ("1.5 GiB", "3d 4h", "12 %"). */
  function cellValue(td, numeric) {
    if (!td) return numeric ? -Infinity : '';
    var v = td.getAttribute('data-v');
    if (!numeric) return (v === null ? td.textContent : v).trim().toLowerCase();
    if (v !== null) return parseFloat(v);
    var text = td.textContent.split('/')[0];
    var re = /(-?[0-9.]+)\s*(PiB|TiB|GiB|MiB|KiB|B|d|h|m|s)?/g;
    var total = 0, found = false, m;
    while ((m = re.exec(text)) !== null) {
      found = true;
      total += parseFloat(m[1]) * (m[2] ? UNIT[m[2]] : 1);
      if (!m[2] || m[2].length > 1) break;
    }
    return found ? total : -1;
  }
  function setupSort(table) {
    var ths = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(ths, function (th, col) {
      var btn = th.querySelector('button.sort');
      if (!btn) return;
      btn.addEventListener('click', function () {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(ths, function (o) { o.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var numeric = btn.getAttribute('data-type') === 'num';
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a.cells[col], numeric);
          var y = cellValue(b.cells[col], numeric);
          var r = x < y ? -1 : x > y ? 1 : 0;
          return asc ? r : -r;
        });
        var frag = document.createDocumentFragment();
        rows.forEach(function (r) { frag.appendChild(r); });
        body.appendChild(frag);
      });
    });
  }
  function setupFilter(input) {
    var table = document.getElementById(input.getAttribute('data-table'));
    if (!table) return;
    input.addEventListener('input', function () {
      var q = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        r.hidden = q !== '' && r.textContent.toLowerCase().indexOf(q) === -1;
      });
    });
  }

  // ---- series -------------------------------------------------------------------------------
  // Ranges and the sources they merge (coarse first); mirrors agent/site/encode-series.ts RANGES.
  var RANGES = [
    { id: '1h', seconds: 3600, sources: ['raw'] },
    { id: '24h', seconds: 86400, sources: ['day', 'raw'] },
    { id: '7d', seconds: 604800, sources: ['long.w', 'day', 'raw'] },
    { id: '30d', seconds: 2592000, sources: ['long.m', 'day', 'raw'] },
    { id: '1y', seconds: 31536000, sources: ['long.y', 'long.m', 'day', 'raw'] }
  ];
  /** Series format (DATA-FORMAT.md): ts = t0 + i[k]*step (i absent: i[k] = k); a missing metric is all 0. */
  function decode(s, metric) {
    var out = [];
    if (!s || !s.n) return out;
    var vals = s[metric];
    for (var k = 0; k < s.n; k++) {
      var off = s.i ? s.i[k] : k;
      out.push([(s.t0 + off * s.step) * 1000, vals ? vals[k] : 0]);
    }
    return out;
  }
  function group(points) {
    if (points.length <= MAX_POINTS) return points;
    var first = points[0][0], last = points[points.length - 1][0];
    var width = Math.ceil((last - first + 1) / MAX_POINTS);
    var out = [], cur = null, sum = 0, n = 0;
    points.forEach(function (p) {
      var b = first + Math.floor((p[0] - first) / width) * width;
      if (cur === null || b !== cur) {
        if (cur !== null) out.push([cur, n ? sum / n : null]);
        cur = b; sum = 0; n = 0;
      }
      if (p[1] !== null) { sum += p[1]; n++; }
    });
    if (cur !== null) out.push([cur, n ? sum / n : null]);
    return out;
  }
  /** Coarse sources first; a finer source only adds points after the accumulated series ends. */
  function merge(lists, fromMs) {
    var acc = [];
    lists.forEach(function (pts) {
      var lastTs = acc.length ? acc[acc.length - 1][0] : -Infinity;
      pts.forEach(function (p) { if (p[0] > lastTs) acc.push(p); });
    });
    return group(acc.filter(function (p) { return p[0] >= fromMs; }));
  }

  // ---- charts -------------------------------------------------------------------------------
  var page = null;
  var charts = {};
  var cache = {};
  var range = null;

  function fetchJson(url) {
    return fetch(url, { cache: 'no-cache' }).then(function (r) {
      if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
      return r.json();
    });
  }
  function fmtUnit(unit, v) {
    if (v === null || v === undefined || isNaN(v)) return '–';
    if (unit === 'pct') return (v < 10 ? v.toFixed(1) : Math.round(v)) + ' %';
    if (unit === 'load') return v.toFixed(2);
    if (unit === 'count') return String(Math.round(v)); // issue 14 item 5 (pages): guests running
    var bytes = unit === 'mib' ? v * 1048576 : unit === 'rate' ? v * 1024 : v;
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    var i = 0;
    while (Math.abs(bytes) >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
    return (i === 0 ? Math.round(bytes) : bytes.toFixed(bytes < 10 ? 1 : 0)) + ' ' + units[i] + (unit === 'rate' ? '/s' : '');
  }
  function themeColors() {
    var cs = window.getComputedStyle(root);
    return { fg: cs.getPropertyValue('--fg').trim(), border: cs.getPropertyValue('--border').trim(), mode: currentTheme() };
  }
  /** Loads the files a range needs; resolves to { source: seriesObject }. */
  function loadSources(r) {
    // A guest's JSON lists the tier files it has (they appear on a staggered schedule): read it first.
    if (page.kind === 'guest' && page.files.raw) {
      return fetchJson(page.files.raw).then(function (doc) {
        if (doc.files) {
          if (doc.files.day) page.files.day = doc.files.day;
          if (doc.files.long) page.files.long = doc.files.long;
        }
        // The last hour of raw samples: the part's chunks (oldest first), relative to the JSON.
        var base = page.files.raw.replace(/[^/]*$/, '');
        var names = doc.files && doc.files.raw ? doc.files.raw : [];
        return Promise.all(names.map(function (n) {
          return fetchJson(base + n).then(function (c) { return c.g ? c.g[page.liveKey] : null; }).catch(function () { return null; });
        })).then(function (chunks) {
          cache.raw = { chunks: chunks };
          return loadTiers(r, 'raw');
        });
      });
    }
    return loadTiers(r, null);
  }
  function loadTiers(r, done) {
    var need = {};
    r.sources.forEach(function (s) { need[s.split('.')[0]] = true; });
    var jobs = Object.keys(need).filter(function (name) { return name !== done; }).map(function (name) {
      var url = page.files[name];
      if (!url) return Promise.resolve();
      return fetchJson(url).then(function (doc) { cache[name] = doc; });
    });
    if (page.files.live) {
      jobs.push(fetchJson(page.files.live).then(function (doc) { cache.live = doc; }).catch(function () { cache.live = null; }));
    }
    return Promise.all(jobs);
  }
  function sourceSeries(src, key) {
    var parts = src.split('.');
    var doc = cache[parts[0]];
    if (!doc) return null;
    if (parts[0] === 'raw') doc = doc.raw;
    if (parts[1]) doc = doc[parts[1]];
    if (key !== undefined && doc && doc.series) doc = doc.series[key];
    return doc || null;
  }
  function seriesFor(r, spec, metric, key) {
    var nowMs = Date.now();
    var lists = [];
    r.sources.forEach(function (src) {
      if (src === 'raw' && cache.raw && cache.raw.chunks) cache.raw.chunks.forEach(function (c) { lists.push(decode(c, metric)); });
      else lists.push(decode(sourceSeries(src, key), metric));
    });
    var live = cache.live && page.liveKey && cache.live.g ? cache.live.g[page.liveKey] : null;
    if (live) lists.push(decode(live, metric));
    return merge(lists, nowMs - r.seconds * 1000);
  }
  function chartOptions(spec, series) {
    var c = themeColors();
    var ann = (page.annotations || []).map(function (a) {
      return { x: a.ts * 1000, borderColor: a.failed ? '#d33' : '#888', label: { text: esc(a.label), orientation: 'horizontal', style: { background: a.failed ? '#d33' : '#666', color: '#fff' } } };
    });
    return {
      chart: { type: 'line', height: 220, animations: { enabled: false }, toolbar: { show: false }, zoom: { enabled: false }, background: 'transparent', foreColor: c.fg, fontFamily: 'inherit' },
      theme: { mode: c.mode },
      series: series,
      stroke: { width: 2, curve: 'straight' },
      legend: { show: false },
      grid: { borderColor: c.border },
      dataLabels: { enabled: false },
      markers: { size: 0 },
      xaxis: { type: 'datetime', labels: { datetimeUTC: false } },
      yaxis: { min: 0, max: spec.unit === 'pct' ? 100 : undefined, labels: { formatter: function (v) { return fmtUnit(spec.unit, v); } } },
      tooltip: { x: { format: 'yyyy-MM-dd HH:mm' }, y: { formatter: function (v) { return fmtUnit(spec.unit, v); } } },
      annotations: { xaxis: page.kind === 'guest' ? ann : [] },
      noData: { text: 'No data for this range' },
    };
  }
  // ApexCharts renders series names and annotation labels as HTML in its tooltip and legend:
  // anything that came from Proxmox (storage ids, task types) is escaped first.
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; });
  }
  function buildSeries(r, spec) {
    if (page.kind === 'storage') {
      return (page.keys || []).map(function (k) { return { name: esc(k), data: seriesFor(r, spec, spec.metrics[0].key, k) }; });
    }
    return spec.metrics.map(function (m) { return { name: m.name, data: seriesFor(r, spec, m.key) }; });
  }
  function draw() {
    if (!page || typeof ApexCharts === 'undefined') return Promise.resolve();
    var r = page.ranges.filter(function (x) { return x.id === range; })[0] || page.ranges[0];
    return loadSources(r).then(function () {
      page.charts.forEach(function (spec) {
        var el = document.getElementById('chart-' + spec.id);
        if (!el) return;
        var series = buildSeries(r, spec);
        if (charts[spec.id]) {
          charts[spec.id].updateSeries(series, false);
        } else {
          charts[spec.id] = new ApexCharts(el, chartOptions(spec, series));
          charts[spec.id].render();
        }
        var alt = document.querySelector('[data-alt="' + spec.id + '"]');
        if (alt && page.kind !== 'storage') {
          var last = series.map(function (s) {
            var p = s.data.length ? s.data[s.data.length - 1] : null;
            return s.name + ' ' + fmtUnit(spec.unit, p ? p[1] : null);
          });
          alt.textContent = spec.title + ' now: ' + last.join(', ');
          el.setAttribute('aria-label', spec.title + ' chart, ' + r.id + '. ' + alt.textContent);
        }
      });
    }).catch(function (e) { console.warn('chart data unavailable', e.message); });
  }
  function redrawCharts() {
    Object.keys(charts).forEach(function (k) { charts[k].destroy(); delete charts[k]; });
    return draw();
  }
  // Guest chart set (the guest page's figures are created here; the no-JS page shows tables).
  var GUEST_CHARTS = [
    { id: 'cpu', title: 'CPU', unit: 'pct', metrics: [{ key: 'cpu', name: 'CPU' }] },
    { id: 'mem', title: 'Memory', unit: 'mib', metrics: [{ key: 'mem', name: 'used' }] },
    { id: 'net', title: 'Network', unit: 'rate', metrics: [{ key: 'ni', name: 'in' }, { key: 'no', name: 'out' }] },
    { id: 'io', title: 'Disk I/O', unit: 'rate', metrics: [{ key: 'dr', name: 'read' }, { key: 'dw', name: 'write' }] },
    { id: 'disk', title: 'Root disk', unit: 'mib', metrics: [{ key: 'disk', name: 'used' }], lxc: true }
  ];
  function createFigures(container, specs) {
    specs.forEach(function (spec) {
      var fig = document.createElement('figure');
      fig.className = 'chart';
      var cap = document.createElement('figcaption');
      cap.textContent = spec.title;
      var box = document.createElement('div');
      box.className = 'chart-box';
      box.id = 'chart-' + spec.id;
      box.setAttribute('role', 'img');
      box.setAttribute('aria-label', spec.title + ' chart');
      var alt = document.createElement('p');
      alt.className = 'chart-alt';
      alt.setAttribute('data-alt', spec.id);
      fig.appendChild(cap); fig.appendChild(box); fig.appendChild(alt);
      container.appendChild(fig);
    });
  }
  function setupCharts() {
    var el = document.getElementById('page-data');
    if (!el) return;
    page = JSON.parse(el.textContent);
    page.ranges = page.ranges || RANGES;
    if (page.kind === 'guest') {
      page.charts = GUEST_CHARTS.filter(function (c) { return !c.lxc || page.type === 'lxc'; });
      var grid = document.getElementById('charts');
      if (grid) createFigures(grid, page.charts);
    }
    range = page.ranges[0].id;
    Array.prototype.forEach.call(document.querySelectorAll('button.range'), function (b) {
      b.addEventListener('click', function () {
        range = b.getAttribute('data-range');
        Array.prototype.forEach.call(document.querySelectorAll('button.range'), function (o) {
          o.setAttribute('aria-pressed', o === b ? 'true' : 'false');
        });
        draw();
      });
    });
    draw();
  }

  // ---- live refresh and staleness -------------------------------------------------------------
  function checkStale(generatedAt) {
    var after = Number(root.getAttribute('data-stale-after')) || 180;
    var banner = document.getElementById('stale');
    if (banner) banner.hidden = Date.now() / 1000 - generatedAt <= after;
  }
  /** Updates the overview's guest rows (CPU, memory, uptime, status) from status.json. */
  function refreshOverview(status) {
    var table = document.querySelector('table.live-guests');
    if (!table) return;
    var col = {};
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, k) { col[th.textContent.trim()] = k; });
    var idx = {};
    status.guest_fields.forEach(function (f, k) { idx[f] = k; });
    var byKey = {};
    status.guests.forEach(function (g) { byKey[g[idx.cluster] + '/' + g[idx.vmid]] = g; });
    Array.prototype.forEach.call(table.tBodies[0].rows, function (tr) {
      var a = tr.cells[0] && tr.cells[0].querySelector('a');
      var m = a && /g\/([^/]+)\/\d+xx\/(\d+)\.html$/.exec(a.getAttribute('href'));
      var g = m && byKey[m[1] + '/' + m[2]];
      if (!g) return;
      var set = function (name, text, v) {
        var td = tr.cells[col[name]];
        if (!td) return;
        td.textContent = text;
        if (v !== undefined) td.setAttribute('data-v', String(v));
      };
      var cpu = g[idx.cpu], mem = g[idx.mem], up = g[idx.uptime];
      if (col.Status !== undefined && tr.cells[col.Status].textContent !== 'template') {
        set('Status', g[idx.status]);
        tr.cells[col.Status].className = 'st-' + g[idx.status];
      }
      set('CPU', cpu === null ? '–' : fmtUnit('pct', cpu * 100));
      set('Memory', (mem === null ? '–' : fmtUnit('b', mem)) + ' / ' + fmtUnit('b', g[idx.maxmem]));
      set('Uptime', fmtUptime(up));
    });
  }
  function fmtUptime(s) {
    if (s === null || s === undefined) return '–';
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d > 0) return d + 'd ' + h + 'h';
    if (h > 0) return h + 'h ' + m + 'm';
    return m + 'm ' + Math.floor(s % 60) + 's';
  }
  function refresh() {
    var url = root.getAttribute('data-status');
    fetchJson(url).then(function (status) {
      checkStale(status.generated_at);
      var gen = document.getElementById('generated');
      if (gen) gen.textContent = new Date(status.generated_at * 1000).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
      refreshOverview(status);
      if (page) draw();
    }).catch(function () {
      if (root.hasAttribute('data-generated')) checkStale(Number(root.getAttribute('data-generated')));
    });
  }

  function start() {
    setupTheme();
    Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), setupSort);
    Array.prototype.forEach.call(document.querySelectorAll('input.filter'), setupFilter);
    setupCharts();
    if (root.hasAttribute('data-generated')) checkStale(Number(root.getAttribute('data-generated')));
    else refresh();
    var every = Math.max(5, Number(root.getAttribute('data-refresh')) || 60);
    setInterval(refresh, every * 1000);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
