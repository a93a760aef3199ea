// PMI Dashboard navigation helpers (issue #14 items 1 and 8): the fleet-wide search over the
// static search.json, sort and filter kept in the URL (so a link or reload shows the same view),
// "no match" under a filter that hides every row. Loaded after site.js, whose sort and filter
// handlers it builds on. No inline script (CSP).
(function () {
  'use strict';
  var root = document.documentElement;

  // ---- sort and filter in the URL -----------------------------------------------------------
  function params() { return new URLSearchParams(location.search); }
  function writeParams(p) {
    var q = p.toString();
    window.history.replaceState(null, '', location.pathname + (q ? '?' + q : '') + location.hash);
  }
  function slug(s) { return s.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, ''); }
  function headers(table) { return table.tHead ? Array.prototype.slice.call(table.tHead.rows[0].cells) : []; }

  function setupSortUrl(table) {
    if (!table.id) return;
    var ths = headers(table);
    var key = table.id + '-sort';
    // Restore: click the named column's button once (ascending) or twice (descending).
    var want = params().get(key);
    if (want) {
      var m = /^(.*?)(?:-(asc|desc))?$/.exec(want);
      var th = ths.filter(function (h) { return slug(h.textContent) === m[1]; })[0];
      var btn = th && th.querySelector('button.sort');
      if (btn) {
        btn.click();
        if (m[2] === 'desc') btn.click();
      }
    }
    ths.forEach(function (th) {
      var btn = th.querySelector('button.sort');
      if (!btn) return;
      btn.addEventListener('click', function () {
        var dir = th.getAttribute('aria-sort');
        var p = params();
        if (dir) p.set(key, slug(th.textContent) + (dir === 'descending' ? '-desc' : '-asc'));
        else p.delete(key);
        writeParams(p);
      });
    });
  }

  function noMatchFor(table) {
    var wrap = table.closest('.table-wrap') || table;
    var el = wrap.nextElementSibling;
    if (el && el.classList.contains('no-match')) return el;
    el = document.createElement('p');
    el.className = 'no-match';
    el.setAttribute('role', 'status');
    el.hidden = true;
    wrap.parentNode.insertBefore(el, wrap.nextSibling);
    return el;
  }
  function setupFilterUrl(input) {
    var table = document.getElementById(input.getAttribute('data-table'));
    if (!table || !table.tBodies[0]) return;
    var key = table.id + '-q';
    var note = noMatchFor(table);
    // site.js filters on "input" first (its listener was added earlier); this one reads the result.
    input.addEventListener('input', function () {
      var q = input.value.trim();
      var p = params();
      if (q) p.set(key, q);
      else p.delete(key);
      writeParams(p);
      var rows = table.tBodies[0].rows;
      var shown = 0;
      for (var i = 0; i < rows.length; i++) if (!rows[i].hidden) shown++;
      note.hidden = !(q && shown === 0);
      note.textContent = q && shown === 0 ? 'No match for "' + q + '" (' + rows.length + ' rows hidden by the filter).' : '';
    });
    var saved = params().get(key);
    if (saved) {
      input.value = saved;
      input.dispatchEvent(new window.Event('input'));
    }
  }

  // ---- fleet-wide search --------------------------------------------------------------------
  var index = null;
  var loading = null;
  function loadIndex(input) {
    if (index || loading) return loading;
    loading = fetch(input.getAttribute('data-index'), { cache: 'no-cache' })
      .then(function (r) {
        if (!r.ok) throw new Error('search.json: HTTP ' + r.status);
        return r.json();
      })
      .then(function (doc) { index = doc.items || []; })
      .catch(function (e) { index = []; console.warn('search index unavailable', e.message); });
    return loading;
  }
  var MAX_RESULTS = 20;
  function search(input, list) {
    var q = input.value.trim().toLowerCase();
    list.textContent = '';
    if (!q || !index) {
      list.hidden = true;
      return;
    }
    var words = q.split(/\s+/);
    var hits = [];
    for (var i = 0; i < index.length && hits.length < MAX_RESULTS; i++) {
      var it = index[i];
      var hay = it[4];
      if (words.every(function (w) { return hay.indexOf(w) !== -1; })) hits.push(it);
    }
    var base = root.getAttribute('data-root') || '';
    if (hits.length === 0) {
      var li = document.createElement('li');
      li.className = 'no-match';
      li.textContent = 'No match for "' + input.value.trim() + '".';
      list.appendChild(li);
    }
    hits.forEach(function (h) {
      var li = document.createElement('li');
      var a = document.createElement('a');
      a.href = base + h[3];
      a.textContent = h[1];
      var kind = document.createElement('span');
      kind.className = 'muted';
      kind.textContent = ' ' + h[0] + (h[2] ? ' · ' + h[2] : '');
      li.appendChild(a);
      li.appendChild(kind);
      list.appendChild(li);
    });
    list.hidden = false;
  }
  function setupSearch() {
    var input = document.getElementById('site-search');
    var list = document.getElementById('search-results');
    if (!input || !list) return;
    input.addEventListener('focus', function () { loadIndex(input); });
    input.addEventListener('input', function () {
      var p = loadIndex(input);
      if (p) p.then(function () { search(input, list); });
      else search(input, list);
    });
    input.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') {
        input.value = '';
        search(input, list);
      } else if (e.key === 'Enter') {
        var first = list.querySelector('a');
        if (first) location.href = first.href;
      }
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), setupSortUrl);
    Array.prototype.forEach.call(document.querySelectorAll('input.filter'), setupFilterUrl);
    setupSearch();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
