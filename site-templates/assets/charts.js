// PMI Dashboard chart drawing (issue 14 items 2–4, issue 16 alert markers). site.js loads and
// decodes the series and hands them over as window.PMIData; this file turns them into ApexCharts:
// the x-axis spans exactly the chosen range, gaps are gaps, every multi-line chart has a legend,
// series keep their colour in both themes, axes tick in the unit's round steps, limits are lines,
// markers do not pile up, and all times are UTC (named on the page). It also keeps the page's
// current values equal to the charts' last points and turns a chart with nothing to show into one
// line saying why. No inline script: page data comes from #page-data through site.js.
(function () {
  'use strict';
  var root = document.documentElement;
  // One colour per series position, the same in both themes: each has at least 3:1 contrast
  // (WCAG AA for graphics) against the chart panel of the light (#f4f5f7) and dark (#1c1f24) theme.
  var PALETTE = ['#2f7de1', '#d9480f', '#8b5cf6', '#0c8599', '#d6336c', '#868e96'];
  var LIMIT_COLOR = '#d6336c';
  var TASK_COLOR = '#868e96';
  var FAILED_COLOR = '#e03131';
  var ALERT_COLOR = '#e03131';
  var LABEL_GAP_PX = 64; // a marker label needs this much room from the previous one, else it is left off
  var MIB = 1048576;

  var data = null; // window.PMIData
  var page = null;
  var charts = {};
  var rangeId = null;
  var alertMarks = null;
  var lastStatus = null;

  // ---- formatting -----------------------------------------------------------------------------
  var F = window.PMIFormat; // format.js: the formatting shared with site.js and the build
  /** Axis labels: the same units, without decimals a round tick does not need. */
  function fmtTick(unit, v) {
    if (unit === 'pct') return (Number.isInteger(v) ? v : +v.toFixed(1)) + ' %';
    if (unit === 'load') return String(+v.toFixed(2));
    return F.unit(unit, v, true);
  }
  // ApexCharts renders series names and annotation labels as HTML: Proxmox text is escaped first.
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; });
  }

  // ---- pure transforms ------------------------------------------------------------------------
  /**
   * Inserts a null point into every gap longer than two sample intervals, so the line breaks there
   * instead of drawing a straight line across missing data. The interval near a pair of points is
   * the last interval that was not a gap, or the next one when it is not longer than the pair's:
   * taking the larger of the two keeps the join of a coarse tier and a finer one (5 min, then 10 s)
   * from counting as a gap.
   */
  function withGaps(points) {
    var out = [];
    var prevOk = null;
    for (var k = 0; k < points.length; k++) {
      if (k > 0) {
        var dt = points[k][0] - points[k - 1][0];
        var next = k + 1 < points.length ? points[k + 1][0] - points[k][0] : null;
        var ref = Math.max(prevOk === null ? 0 : prevOk, next !== null && next <= dt ? next : 0);
        if (ref > 0 && dt > 2 * ref) out.push([points[k - 1][0] + ref, null]);
        else prevOk = dt;
      }
      out.push(points[k]);
    }
    return out;
  }
  function isolated(series) {
    var out = [];
    series.forEach(function (s, i) {
      var d = s.data;
      for (var j = 0; j < d.length; j++) {
        if (d[j][1] === null) continue;
        var before = j === 0 || d[j - 1][1] === null, after = j === d.length - 1 || d[j + 1][1] === null;
        if (before && after) out.push({ seriesIndex: i, dataPointIndex: j, size: 3, fillColor: PALETTE[i % PALETTE.length], strokeColor: PALETTE[i % PALETTE.length] });
      }
    });
    return out;
  }
  function lastValue(points) {
    for (var k = points.length - 1; k >= 0; k--) if (points[k][1] !== null && points[k][1] !== undefined) return points[k];
    return null;
  }
  function dataMax(series) {
    var m = 0;
    series.forEach(function (s) { s.data.forEach(function (p) { if (p[1] !== null && p[1] > m) m = p[1]; }); });
    return m;
  }
  /** Round y-axis: bytes in power-of-two steps (1/2/4/8 GiB …), the rest in 1/2/5 × 10^k; 3–5 ticks. */
  function yScale(unit, max, fixedPct) {
    if (fixedPct) return { min: 0, max: 100, tickAmount: 5 };
    var step;
    if (unit === 'mib' || unit === 'rate') {
      step = Math.pow(2, Math.ceil(Math.log2(Math.max(max, 1) / 5))); // at least 1 MiB or 1 KiB/s tall
    } else {
      var raw = Math.max(max, unit === 'pct' ? 1 : 0.1) / 5;
      var p = Math.pow(10, Math.floor(Math.log10(raw)));
      step = [1, 2, 5, 10].map(function (f) { return f * p; }).filter(function (s) { return s >= raw; })[0];
      if (unit === 'count') step = Math.max(1, step); // whole guests
    }
    var top = Math.max(step, Math.ceil(max / step - 1e-9) * step);
    if (unit === 'pct' && max <= 100 && top > 100) { top = 100; step = 20; }
    return { min: 0, max: top, tickAmount: Math.round(top / step) };
  }
  /**
   * Which markers keep a text label: walking left to right, a label is kept only when it is at
   * least LABEL_GAP_PX from the previous kept one (labels used to overlap into "s", "sh", "start");
   * the others are drawn as lines only and named in the chart's text below it.
   */
  function labelled(marks, xMin, xMax, widthPx) {
    var lastPx = -Infinity;
    return marks.map(function (m) {
      var px = ((m.x - xMin) / (xMax - xMin)) * widthPx;
      var keep = px - lastPx >= LABEL_GAP_PX && px <= widthPx - 30;
      if (keep) lastPx = px;
      return keep;
    });
  }

  // ---- what a page shows ------------------------------------------------------------------------
  var GUEST_CHARTS = [
    { id: 'cpu', title: 'CPU', unit: 'pct', metrics: [{ key: 'cpu', name: 'CPU' }] },
    { id: 'mem', title: 'Memory', unit: 'mib', metrics: [{ key: 'mem', name: 'used' }], limit: 'mem' },
    { id: 'net', title: 'Network', unit: 'rate', metrics: [{ key: 'ni', name: 'in' }, { key: 'no', name: 'out' }] },
    { id: 'io', title: 'Disk I/O', unit: 'rate', metrics: [{ key: 'dr', name: 'read' }, { key: 'dw', name: 'write' }] },
    { id: 'disk', title: 'Root disk', unit: 'mib', metrics: [{ key: 'disk', name: 'used' }], limit: 'disk', lxc: true }
  ];
  function currentRange() {
    return page.ranges.filter(function (x) { return x.id === rangeId; })[0] || page.ranges[0];
  }
  function themeColors() {
    var cs = window.getComputedStyle(root);
    var dark = root.getAttribute('data-theme') === 'dark' || (!root.getAttribute('data-theme') && window.matchMedia && matchMedia('(prefers-color-scheme: dark)').matches);
    return { fg: cs.getPropertyValue('--fg').trim(), border: cs.getPropertyValue('--border').trim(), mode: dark ? 'dark' : 'light' };
  }
  function buildSeries(r, spec) {
    if (page.kind === 'storage') {
      return (page.keys || []).map(function (k) { return { name: esc(k), data: withGaps(data.series(r, spec.metrics[0].key, k)) }; });
    }
    return spec.metrics.map(function (m) { return { name: m.name, data: withGaps(data.series(r, m.key)) }; });
  }
  /** Task and action markers (page.annotations) and alert intervals of this guest or node. */
  function markers(xMin, xMax) {
    var tasks = (page.annotations || []).filter(function (a) { return a.ts * 1000 >= xMin && a.ts * 1000 <= xMax; })
      .map(function (a) { return { x: a.ts * 1000, text: a.label, failed: a.failed }; });
    var alerts = (alertMarks || []).filter(function (a) {
      var l = a.labels || {};
      if (l.cluster !== page.cluster) return false;
      if (page.kind === 'guest') return String(l.vmid) === String(page.vmid);
      return page.kind === 'node' && l.node === page.node && l.vmid === undefined;
    }).map(function (a) {
      return { x: Math.max(a.from * 1000, xMin), x2: a.to === null ? xMax : Math.min(a.to * 1000, xMax), text: a.rule, firing: a.to === null, severity: a.severity };
    }).filter(function (a) { return a.x2 >= xMin && a.x <= xMax; });
    return { tasks: tasks, alerts: alerts };
  }
  function annotationsFor(spec, marks, xMin, xMax, widthPx, scale) {
    var keepTask = labelled(marks.tasks, xMin, xMax, widthPx);
    var keepAlert = labelled(marks.alerts, xMin, xMax, widthPx);
    var xa = marks.tasks.map(function (m, k) {
      var color = m.failed ? FAILED_COLOR : TASK_COLOR;
      return { x: m.x, borderColor: color, strokeDashArray: 0, label: keepTask[k] ? { text: esc(m.text), orientation: 'horizontal', position: 'top', offsetY: -22, borderColor: color, style: { background: color, color: '#fff', fontSize: '11px' } } : { text: '' } };
    }).concat(marks.alerts.map(function (m, k) {
      return { x: m.x, x2: Math.max(m.x2, m.x + 1), fillColor: ALERT_COLOR, opacity: 0.12, borderColor: ALERT_COLOR, label: keepAlert[k] ? { text: esc('alert ' + m.text + (m.firing ? ' (firing)' : '')), orientation: 'horizontal', position: 'bottom', offsetY: 0, borderColor: ALERT_COLOR, style: { background: ALERT_COLOR, color: '#fff', fontSize: '11px' } } : { text: '' } };
    }));
    var ya = [];
    var limit = spec.limit && page.limits ? page.limits[spec.limit] : null;
    if (limit) ya.push({ y: limit / MIB, borderColor: LIMIT_COLOR, strokeDashArray: 6, label: { text: 'limit ' + F.bytes(limit), position: 'right', textAnchor: 'end', offsetX: -4, borderColor: LIMIT_COLOR, style: { background: LIMIT_COLOR, color: '#fff', fontSize: '11px' } } });
    if (spec.unit === 'pct' && spec.id !== 'fill' && scale.max >= 100) ya.push({ y: 100, borderColor: FAILED_COLOR, strokeDashArray: 4, label: { text: '100 %', position: 'right', textAnchor: 'end', offsetX: -4, borderColor: FAILED_COLOR, style: { background: FAILED_COLOR, color: '#fff', fontSize: '11px' } } });
    return { xaxis: xa, yaxis: ya };
  }
  function chartOptions(spec, series, r, el) {
    var c = themeColors();
    var xMax = Date.now();
    var xMin = xMax - r.seconds * 1000;
    var limit = spec.limit && page.limits ? page.limits[spec.limit] / MIB : 0;
    var scale = yScale(spec.unit, Math.max(dataMax(series), limit || 0), spec.id === 'fill');
    var marks = markers(xMin, xMax);
    var width = Math.max(200, (el.clientWidth || 400) - 70);
    return {
      chart: { type: 'line', height: 240, animations: { enabled: false }, toolbar: { show: false }, zoom: { enabled: false }, background: 'transparent', foreColor: c.fg, fontFamily: 'inherit', parentHeightOffset: 0 },
      theme: { mode: c.mode },
      colors: series.map(function (_s, k) { return PALETTE[k % PALETTE.length]; }),
      series: series,
      stroke: { width: 2, curve: 'straight' },
      legend: { show: series.length > 1, showForSingleSeries: false, position: 'top', horizontalAlign: 'left', fontSize: '13px' },
      grid: { borderColor: c.border, padding: { top: marks.tasks.length ? 18 : 0, right: 12 } },
      dataLabels: { enabled: false },
      // A point with a gap (or nothing) on both sides would be invisible as a line: drawn as a dot.
      markers: { size: 0, discrete: isolated(series) },
      xaxis: { type: 'datetime', min: xMin, max: xMax, labels: { datetimeUTC: true, hideOverlappingLabels: true }, tooltip: { enabled: false } },
      yaxis: { min: scale.min, max: scale.max, tickAmount: scale.tickAmount, forceNiceScale: false, labels: { formatter: function (v) { return fmtTick(spec.unit, v); } } },
      // A shared tooltip, kept inside the chart (no clipping at the page's right edge).
      tooltip: { shared: true, intersect: false, followCursor: false, fixed: { enabled: false }, x: { formatter: function (v) { return F.utc(v); } }, y: { formatter: function (v) { return F.unit(spec.unit, v); } } },
      annotations: annotationsFor(spec, marks, xMin, xMax, width, scale),
      noData: { text: '' },
      _pmi: { xMin: xMin, xMax: xMax, scale: scale, marks: marks }
    };
  }

  // ---- empty charts -----------------------------------------------------------------------------
  /** Why a chart has nothing to show, or null when it has something. */
  function emptyReason(spec, series, r) {
    var any = series.some(function (s) { return s.data.some(function (p) { return p[1] !== null; }); });
    if (any) return null;
    var since = page.since ? ' since ' + F.utc(page.since * 1000) : '';
    if (page.kind === 'guest' && page.status && page.status !== 'running') return 'No data in the last ' + r.id + ': ' + page.status + since + '.';
    if (page.kind === 'node' && spec.id === 'net' && page.netSource) return 'No data in the last ' + r.id + ': ' + page.netSource;
    if (page.kind === 'node' && page.status && page.status !== 'online') return 'No data in the last ' + r.id + ': node ' + page.status + since + '.';
    return 'No data in the last ' + r.id + ' yet.';
  }
  function showEmpty(spec, el, text) {
    if (charts[spec.id]) { charts[spec.id].destroy(); delete charts[spec.id]; }
    el.classList.add('chart-empty');
    el.textContent = text;
    el.setAttribute('data-empty', text);
    el.setAttribute('aria-label', spec.title + ' chart: ' + text);
  }

  /** A guest whose charts are all empty (stopped all range long) gets one line, not a grid of empty boxes. */
  function collapseIfAllEmpty(reasons) {
    var grid = document.getElementById('charts');
    if (!grid || page.kind !== 'guest' || page.template) return;
    var all = reasons.length > 0 && reasons.length === page.charts.length;
    Array.prototype.forEach.call(grid.querySelectorAll('figure.chart'), function (f) { f.hidden = all; });
    var line = document.getElementById('charts-empty');
    if (all && !line) wholeSectionEmpty(grid, reasons[0]);
    else if (all) line.textContent = reasons[0];
    else if (line) line.parentNode.removeChild(line);
  }

  // ---- current values -------------------------------------------------------------------------
  /**
   * Cells marked data-live="cpu" (or "ni,no") show the last point of that metric: the number next
   * to a chart is the chart's last point. data-of (bytes) is the "/ limit" part of a cell.
   */
  function syncValues(r) {
    var cells = document.querySelectorAll('[data-live]');
    if (!cells.length) return;
    var lastTs = 0;
    Array.prototype.forEach.call(cells, function (td) {
      var keys = td.getAttribute('data-live').split(',');
      var unit = td.getAttribute('data-unit');
      var vals = keys.map(function (k) {
        var p = lastValue(data.series(r, k));
        if (p && p[0] > lastTs) lastTs = p[0];
        return p ? p[1] : null;
      });
      if (vals.every(function (v) { return v === null; })) return;
      var text = vals.map(function (v) { return F.unit(unit, v); }).join(' / ');
      var of = td.getAttribute('data-of');
      if (of) text += ' / ' + F.bytes(Number(of));
      td.textContent = text;
      td.setAttribute('data-v', vals.join(','));
    });
    var asOf = document.querySelector('[data-live-asof]');
    if (asOf && lastTs) asOf.textContent = F.utc(lastTs);
  }
  /** Status, uptime and heading of this guest or node from status.json (every cycle). */
  function syncStatus(status) {
    if (!status || !page) return;
    var row = null;
    if (page.kind === 'guest' && status.guest_fields) {
      var f = {};
      status.guest_fields.forEach(function (n, k) { f[n] = k; });
      var g = status.guests.filter(function (x) { return x[f.cluster] === page.cluster && String(x[f.vmid]) === String(page.vmid); })[0];
      if (g) row = { status: g[f.status], uptime: g[f.uptime] };
    } else if (page.kind === 'node' && status.nodes) {
      var n = status.nodes.filter(function (x) { return x.cluster === page.cluster && x.node === page.node; })[0];
      if (n) row = { status: n.status, uptime: n.uptime };
    }
    if (!row) return;
    Array.prototype.forEach.call(document.querySelectorAll('[data-live-status]'), function (el) {
      if (el.textContent === 'template') return;
      el.textContent = row.status;
      el.className = 'st-' + row.status;
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-live-uptime]'), function (el) {
      if (row.uptime === null || row.uptime === undefined) return;
      el.textContent = F.duration(row.uptime);
    });
    if (row.status !== page.status && page.kind === 'guest') page.status = row.status;
  }

  // ---- drawing --------------------------------------------------------------------------------
  function expose(el, spec, series, opts) {
    var p = opts._pmi;
    el.setAttribute('data-x-min', String(p.xMin));
    el.setAttribute('data-x-max', String(p.xMax));
    el.setAttribute('data-range', rangeId);
    el.setAttribute('data-y-max', String(p.scale.max));
    el.setAttribute('data-y-step', String(p.scale.max / p.scale.tickAmount));
    el.setAttribute('data-series', series.map(function (s) { return s.name; }).join('|'));
    el.setAttribute('data-colors', opts.colors.join(' '));
    el.setAttribute('data-gaps', String(series.reduce(function (n, s) { return n + s.data.filter(function (x) { return x[1] === null; }).length; }, 0)));
    el.setAttribute('data-points', series.map(function (s) { return s.data.filter(function (x) { return x[1] !== null; }).length; }).join('|'));
    el.setAttribute('data-limit', String(opts.annotations.yaxis.filter(function (a) { return a.borderColor === LIMIT_COLOR; }).map(function (a) { return a.y; })[0] || ''));
    el.setAttribute('data-tasks', String(p.marks.tasks.length));
    el.setAttribute('data-alerts', String(p.marks.alerts.length));
    el.setAttribute('data-last', JSON.stringify(series.map(function (s) { var l = lastValue(s.data); return l ? l[1] : null; })));
  }
  function describe(el, spec, series, r, marks) {
    var alt = document.querySelector('[data-alt="' + spec.id + '"]');
    if (!alt || page.kind === 'storage') return;
    var last = series.map(function (s) { var p = lastValue(s.data); return s.name + ' ' + F.unit(spec.unit, p ? p[1] : null); });
    var text = spec.title + ' now: ' + last.join(', ');
    if (marks.tasks.length) text += '. Tasks: ' + marks.tasks.map(function (m) { return F.utc(m.x).slice(11) + ' ' + m.text + (m.failed ? ' (failed)' : ''); }).join(', ');
    if (marks.alerts.length) text += '. Alerts: ' + marks.alerts.map(function (m) { return m.text + ' from ' + F.utc(m.x) + (m.firing ? ', firing' : ' to ' + F.utc(m.x2)); }).join('; ');
    alt.textContent = text;
    el.setAttribute('aria-label', spec.title + ' chart, ' + r.id + '. ' + text);
  }
  function draw() {
    if (!page || typeof ApexCharts === 'undefined') return Promise.resolve();
    var r = currentRange();
    return Promise.all([data.load(r), loadAlertMarks()]).then(function () {
      var reasons = [];
      (page.charts || []).forEach(function (spec) {
        var el = document.getElementById('chart-' + spec.id);
        if (!el) return;
        var series = buildSeries(r, spec);
        var why = emptyReason(spec, series, r);
        if (why) { reasons.push(why); showEmpty(spec, el, why); describe(el, spec, series, r, { tasks: [], alerts: [] }); return; }
        if (el.classList.contains('chart-empty')) { el.classList.remove('chart-empty'); el.removeAttribute('data-empty'); el.textContent = ''; }
        var opts = chartOptions(spec, series, r, el);
        if (charts[spec.id]) charts[spec.id].updateOptions(opts, false, false);
        else {
          charts[spec.id] = new ApexCharts(el, opts);
          charts[spec.id].render();
        }
        expose(el, spec, series, opts);
        describe(el, spec, series, r, opts._pmi.marks);
      });
      collapseIfAllEmpty(reasons);
      syncValues(r);
      syncStatus(lastStatus);
    }).catch(function (e) { console.warn('chart data unavailable', e && e.message); });
  }
  function loadAlertMarks() {
    if (!page.alertMarks) return Promise.resolve();
    return data.fetchJson(page.alertMarks).then(function (doc) { alertMarks = doc.intervals || []; }).catch(function () { alertMarks = null; });
  }
  function redraw() {
    Object.keys(charts).forEach(function (k) { charts[k].destroy(); delete charts[k]; });
    return draw();
  }

  // ---- setup ------------------------------------------------------------------------------------
  function figure(spec) {
    var fig = document.createElement('figure');
    fig.className = 'chart';
    fig.setAttribute('data-chart', spec.id);
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
    return fig;
  }
  /** One line instead of the whole chart grid (a template, or a guest that has never run here). */
  function wholeSectionEmpty(grid, text) {
    var p = document.createElement('p');
    p.className = 'chart-empty';
    p.id = 'charts-empty';
    p.textContent = text;
    grid.appendChild(p);
  }
  function setup() {
    data = window.PMIData;
    if (!data || !data.page) return;
    page = data.page;
    var grid = document.getElementById('charts');
    if (page.kind === 'guest') {
      if (page.template) {
        page.charts = [];
        if (grid) wholeSectionEmpty(grid, 'A template does not run: there is nothing to chart.');
      } else {
        page.charts = GUEST_CHARTS.filter(function (c) { return !c.lxc || page.type === 'lxc'; });
        if (grid) page.charts.forEach(function (spec) { grid.appendChild(figure(spec)); });
      }
    } else {
      // Node and storage pages carry their chart list (and figures) in the page.
      page.charts = (page.charts || []).map(function (c) { return c.id === 'mem' && page.kind === 'node' ? Object.assign({ limit: 'mem' }, c) : c; });
    }
    // One time zone everywhere: the tables say UTC, so do the charts; the page names it.
    var section = document.querySelector('section.charts');
    if (section && !document.getElementById('chart-tz')) {
      var tz = document.createElement('p');
      tz.className = 'muted chart-tz';
      tz.id = 'chart-tz';
      tz.textContent = 'Chart times are UTC, like the tables.';
      var ranges = section.querySelector('.ranges');
      section.insertBefore(tz, ranges ? ranges.nextSibling : section.firstChild);
    }
    rangeId = page.ranges[0].id;
    Array.prototype.forEach.call(document.querySelectorAll('button.range'), function (b) {
      b.addEventListener('click', function () {
        rangeId = b.getAttribute('data-range');
        Array.prototype.forEach.call(document.querySelectorAll('button.range'), function (o) {
          o.setAttribute('aria-pressed', o === b ? 'true' : 'false');
        });
        draw();
      });
    });
    document.addEventListener('pmi:theme', function () { redraw(); });
    document.addEventListener('pmi:status', function (e) { lastStatus = e.detail; syncStatus(lastStatus); draw(); });
    window.PMICharts = { instances: charts, draw: draw, withGaps: withGaps, yScale: yScale };
    draw();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', setup);
  else setup();
})();
