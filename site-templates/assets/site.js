// PMI Dashboard browser code: theme toggle, sortable and filterable tables, charts with ranges,
// live refresh of each cycle's data and the stale-data banner. No inline script anywhere: page
// data comes from <script type="application/json" id="page-data"> and JSON files.
(function () {
  'use strict';
  var root = document.documentElement;
  var F = window.PMIFormat; // format.js: numbers, bytes, durations and times as the build writes them
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
      notify('pmi:theme', next); // issue 14: charts.js redraws
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
  var cache = {};

  function fetchJson(url) {
    return fetch(url, { cache: 'no-cache' }).then(function (r) {
      if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
      return r.json();
    });
  }
  /** Loads the files a range needs; resolves to { source: seriesObject }. */
  function loadSources(r) {
    // The guest's part JSON lists the part's chunk files (raw: the last hour; day: the last 24 h): read it first.
    if (page.kind === 'guest' && page.files.raw) {
      return fetchJson(page.files.raw).then(function (doc) {
        var files = doc.files || {};
        if (files.long) page.files.long = files.long;
        var base = page.files.raw.replace(/[^/]*$/, '');
        var needDay = r.sources.indexOf('day') !== -1;
        return Promise.all([loadChunks(base, files.raw), needDay ? loadChunks(base, files.day) : null]).then(function (got) {
          cache.raw = { chunks: got[0] };
          if (needDay) cache.day = { chunks: got[1] };
          return loadTiers(r, ['raw', 'day']);
        });
      });
    }
    return loadTiers(r, []);
  }
  /** A guest's series out of each chunk (names relative to base, oldest first; a missing one is skipped). */
  function loadChunks(base, names) {
    return Promise.all((names || []).map(function (n) {
      return fetchJson(base + n).then(function (c) { return c.g ? c.g[page.liveKey] : null; }).catch(function () { return null; });
    }));
  }
  function loadTiers(r, done) {
    var need = {};
    r.sources.forEach(function (s) { need[s.split('.')[0]] = true; });
    var jobs = Object.keys(need).filter(function (name) { return done.indexOf(name) === -1; }).map(function (name) {
      var url = page.files[name];
      if (!url) return Promise.resolve();
      // A guest's long file is its bucket part's (DATA-FORMAT revision 4): its own series is in `g`.
      return fetchJson(url).then(function (doc) { cache[name] = doc && doc.g && page.liveKey ? doc.g[page.liveKey] || null : doc; });
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
      var chunked = cache[src] && cache[src].chunks;
      if (chunked) chunked.forEach(function (c) { lists.push(decode(c, metric)); });
      else lists.push(decode(sourceSeries(src, key), metric));
    });
    var live = cache.live && page.liveKey && cache.live.g ? cache.live.g[page.liveKey] : null;
    if (live) lists.push(decode(live, metric));
    return merge(lists, nowMs - r.seconds * 1000);
  }
  // ---- charts (issue 14) ----------------------------------------------------------------------
  // Drawing lives in assets/charts.js; this file only loads and decodes the series and hands them
  // over through window.PMIData (the page's data, its ranges, load(range), series(range, metric, key)).
  function setupData() {
    var el = document.getElementById('page-data');
    if (!el) return;
    page = JSON.parse(el.textContent);
    page.ranges = page.ranges || RANGES;
    window.PMIData = {
      page: page,
      load: loadSources,
      series: function (r, metric, key) { return seriesFor(r, null, metric, key); },
      fetchJson: fetchJson
    };
  }
  function notify(name, detail) {
    document.dispatchEvent(new window.CustomEvent(name, { detail: detail }));
  }

  // ---- live refresh and staleness -------------------------------------------------------------
  function checkStale(generatedAt) {
    var after = Number(root.getAttribute('data-stale-after')) || 180;
    var banner = document.getElementById('stale');
    if (banner) banner.hidden = Date.now() / 1000 - generatedAt <= after;
    // attention (#14 item 8): the banner names the time of the last data
    var when = document.getElementById('stale-time');
    if (when && generatedAt) { when.textContent = F.utc(generatedAt * 1000); when.setAttribute('datetime', new Date(generatedAt * 1000).toISOString()); }
  }
  // ---- usage bars of live values (the same rule as agent/site/build-attention-model.ts usageLevel);
  // here, beside the refresh that draws them (in nav.js, loaded later, a status.json that came
  // first filled rows without bars, too wide for a phone) ----
  function shownPct(ratio) {
    var p = ratio * 100;
    return p < 10 ? Math.round(p * 10) / 10 : Math.round(p);
  }
  /** Sets (or removes, for null) the usage bar of a table cell from a fraction 0..1. */
  function usageBar(td, ratio) {
    var m = td.querySelector('meter.u');
    if (ratio === null || ratio === undefined || !isFinite(ratio)) {
      if (m) m.remove();
      return;
    }
    var warn = Number(root.getAttribute('data-usage-warn')) || 85;
    var crit = Number(root.getAttribute('data-usage-crit')) || 95;
    var p = shownPct(ratio);
    if (!m) {
      m = document.createElement('meter');
      m.setAttribute('min', '0');
      m.setAttribute('max', '100');
      m.setAttribute('aria-hidden', 'true');
      td.insertBefore(m, td.firstChild);
    }
    m.value = Math.min(100, Math.max(0, p));
    m.className = 'u u-' + (p >= crit ? 'crit' : p >= warn ? 'warn' : 'ok');
  }

  /** Updates the live guest table's rows (guests.html: status, CPU, memory, uptime) from status.json. */
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
      var set = function (name, text, v, ratio) {
        var td = tr.cells[col[name]];
        if (!td) return;
        var span = td.querySelector('span.v'); // attention (#14 item 1): keep the usage bar beside the value
        (span || td).textContent = text;
        if (v !== undefined) td.setAttribute('data-v', String(v));
        if (ratio !== undefined) usageBar(td, ratio); // attention (#14 item 1)
      };
      var cpu = g[idx.cpu], mem = g[idx.mem], up = g[idx.uptime];
      if (col.Status !== undefined && tr.cells[col.Status].textContent !== 'template') {
        set('Status', g[idx.status]);
        tr.cells[col.Status].className = 'st-' + g[idx.status];
      }
      set('CPU', cpu === null ? '–' : F.unit('pct', cpu * 100), undefined, cpu);
      set('Memory', (mem === null ? '–' : F.unit('b', mem)) + ' / ' + F.unit('b', g[idx.maxmem]), undefined, mem === null || !g[idx.maxmem] ? null : mem / g[idx.maxmem]);
      set('Uptime', F.duration(up));
    });
  }
  // charts (#14 item 3): node rows (any table linking to a node page) and guest status cells in
  // tables without live columns follow status.json too, not only the overview's guest table.
  function refreshRows(status) {
    var byPage = {};
    (status.nodes || []).forEach(function (n) { if (n.page) byPage[n.page] = n; });
    var idx = {};
    (status.guest_fields || []).forEach(function (f, k) { idx[f] = k; });
    var guests = {};
    (status.guests || []).forEach(function (g) { guests[g[idx.cluster] + '/' + g[idx.vmid]] = g; });
    Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
      if (!table.tHead) return;
      var col = {};
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, k) { col[th.textContent.trim()] = k; });
      // Only the nodes and guests tables (partials/nodes-table, guests-table): other tables have a
      // Status of their own (a backup's, a task's) next to the same links.
      var nodesTable = col.Node !== undefined && col.Guests !== undefined && col.Status !== undefined;
      var guestsTable = col.ID !== undefined && col.Tags !== undefined && col.Status !== undefined;
      if (!nodesTable && !guestsTable) return;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (tr) {
        var a = tr.cells[0] && tr.cells[0].querySelector('a');
        var href = a ? a.getAttribute('href') : '';
        // attention (#14 item 1): a usage cell keeps its bar beside the value (span.v), and the bar follows
        var set = function (name, text, ratio) {
          var td = tr.cells[col[name]];
          if (!td || text === null) return;
          var span = td.querySelector('span.v');
          (span || td).textContent = text;
          if (ratio !== undefined && ratio !== null) usageBar(td, ratio);
        };
        var nm = /(nodes\/[^/]+\/[^/]+\.html)$/.exec(href || '');
        var n = nodesTable && nm && byPage[nm[1]];
        if (n) {
          set('Status', n.status);
          tr.cells[col.Status].className = 'st-' + n.status;
          if (n.status !== 'online') return;
          set('CPU', n.cpu === null ? '–' : F.unit('pct', n.cpu * 100), n.cpu);
          set('Memory', F.unit('b', n.mem_used) + ' / ' + F.unit('b', n.mem_total), n.mem_total ? n.mem_used / n.mem_total : null);
          var load = col.Load !== undefined && tr.cells[col.Load];
          if (load && n.load1 !== null) load.textContent = [n.load1.toFixed(2)].concat(load.textContent.split(' ').slice(1)).join(' ');
          if (col.Uptime !== undefined) set('Uptime', F.duration(n.uptime));
          return;
        }
        if (!guestsTable || table.classList.contains('live-guests')) return; // refreshOverview does the live guest table's
        var gm = /g\/([^/]+)\/\d+xx\/(\d+)\.html$/.exec(href || '');
        var g = gm && guests[gm[1] + '/' + gm[2]];
        var td = g && tr.cells[col.Status];
        if (td && td.textContent !== 'template') { td.textContent = g[idx.status]; td.className = 'st-' + g[idx.status]; }
      });
    });
  }
  function refresh() {
    var url = root.getAttribute('data-status');
    fetchJson(url).then(function (status) {
      checkStale(status.generated_at);
      var gen = document.getElementById('generated');
      if (gen) gen.textContent = F.utc(status.generated_at * 1000);
      refreshOverview(status);
      refreshRows(status); // charts (#14 item 3)
      notify('pmi:status', status); // issue 14: charts.js redraws and updates current values
    }).catch(function () {
      if (root.hasAttribute('data-generated')) checkStale(Number(root.getAttribute('data-generated')));
    });
  }

  function start() {
    setupTheme();
    Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), setupSort);
    Array.prototype.forEach.call(document.querySelectorAll('input.filter'), setupFilter);
    setupData(); // issue 14: charts.js draws (its own DOMContentLoaded handler runs after this one)
    if (root.hasAttribute('data-generated')) checkStale(Number(root.getAttribute('data-generated')));
    else refresh();
    var every = Math.max(5, Number(root.getAttribute('data-refresh')) || 60);
    setInterval(refresh, every * 1000);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
