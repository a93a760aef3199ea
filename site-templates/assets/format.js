// Number, byte, duration and time formatting of the pages' scripts (site.js, charts.js), one copy,
// by the rules of the build's agent/site/format.ts: a value a script refreshes reads as the built
// page wrote it. Loaded before them (deferred scripts run in document order); same origin, as the
// Content-Security-Policy (script-src 'self') wants. Exposes window.PMIFormat.
(function () {
  'use strict';
  var UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

  /** 1536 → "1.5 KiB" (suffix e.g. "/s"); whole: a whole number has no decimals ("2 GiB", axis ticks). */
  function bytes(n, suffix, whole) {
    if (n === null || n === undefined || !isFinite(n)) return '–';
    var v = Number(n);
    var i = 0;
    while (Math.abs(v) >= 1024 && i < UNITS.length - 1) { v /= 1024; i++; }
    var text = i === 0 || (whole && Number.isInteger(v)) ? String(Math.round(v)) : v.toFixed(v < 10 ? 1 : 0);
    return text + ' ' + UNITS[i] + (suffix || '');
  }

  /**
   * A value of a unit as text: pct (percent, 0..100), load, count, b (bytes), mib (MiB), rate
   * (KiB/s, as the charts' series hold it); null → "–". whole: see bytes().
   */
  function unit(u, v, whole) {
    if (v === null || v === undefined || isNaN(v)) return '–';
    if (u === 'pct') return (v < 10 ? v.toFixed(1) : String(Math.round(v))) + ' %';
    if (u === 'load') return v.toFixed(2);
    if (u === 'count') return String(Math.round(v));
    if (u === 'b') return bytes(v, '', whole);
    if (u === 'mib') return bytes(v * 1048576, '', whole);
    if (u === 'rate') return bytes(v * 1024, '/s', whole);
    return String(v);
  }

  /** Seconds → "3d 4h", "2h 5m", "1m 2s", "42s"; null → "–". */
  function duration(s) {
    if (s === null || s === undefined || !isFinite(s) || s < 0) return '–';
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d > 0) return d + 'd ' + h + 'h';
    if (h > 0) return h + 'h ' + m + 'm';
    if (m > 0) return m + 'm ' + Math.floor(s % 60) + 's';
    return Math.floor(s) + 's';
  }

  /** Epoch ms → "2026-11-27 03:14 UTC". */
  function utc(ms) {
    return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  }

  window.PMIFormat = Object.freeze({ bytes: bytes, unit: unit, duration: duration, utc: utc });
})();
