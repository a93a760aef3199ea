// PMI Dashboard, tasks page (issue 14 item 6): filters by status, type, node and guest and a
// "failed first" order, all kept in the URL (?status=failed&type=vzdump&node=c/n&guest=101&order=failed)
// so a filtered view can be bookmarked and shared. The page is static: without JavaScript the
// form is hidden and the full list shows.
(function () {
  'use strict';
  var FIELDS = ['status', 'type', 'node', 'guest', 'order'];
  function start() {
    var form = document.getElementById('task-filters');
    var table = document.getElementById('tasks');
    if (!form || !table) return;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (r, k) { r.setAttribute('data-pos', String(k)); });
    var params = new URLSearchParams(location.search);
    FIELDS.forEach(function (f) {
      var el = form.elements[f];
      var v = params.get(f);
      if (!el || v === null) return;
      // A value the select does not offer (no such task this week) is still honoured as a filter.
      if (el.tagName === 'SELECT' && !Array.prototype.some.call(el.options, function (o) { return o.value === v; })) {
        var o = document.createElement('option');
        o.value = v; o.textContent = v;
        el.appendChild(o);
      }
      el.value = v;
    });
    function apply(push) {
      var want = {};
      FIELDS.forEach(function (f) { want[f] = form.elements[f] ? form.elements[f].value.trim() : ''; });
      var guest = want.guest.toLowerCase();
      var shown = 0;
      rows.forEach(function (r) {
        var gcell = r.cells[2] ? r.cells[2].textContent.toLowerCase() : '';
        var ok = (!want.status || r.getAttribute('data-state') === want.status)
          && (!want.type || r.getAttribute('data-type') === want.type)
          && (!want.node || r.getAttribute('data-node') === want.node)
          && (!guest || r.getAttribute('data-guest') === guest || (isNaN(Number(guest)) && gcell.indexOf(guest) !== -1));
        r.hidden = !ok;
        if (ok) shown++;
      });
      var ordered = rows.slice();
      if (want.order === 'failed') {
        ordered.sort(function (a, b) {
          var fa = a.getAttribute('data-state') === 'failed' ? 0 : 1, fb = b.getAttribute('data-state') === 'failed' ? 0 : 1;
          return fa - fb || Number(a.getAttribute('data-pos')) - Number(b.getAttribute('data-pos'));
        });
      }
      var frag = document.createDocumentFragment();
      ordered.forEach(function (r) { frag.appendChild(r); });
      body.appendChild(frag);
      var count = document.getElementById('task-count');
      if (count) count.textContent = shown + ' of ' + rows.length + ' tasks';
      var none = document.getElementById('task-none');
      if (none) none.hidden = shown !== 0;
      if (push) {
        var q = new URLSearchParams();
        FIELDS.forEach(function (f) { if (want[f]) q.set(f, want[f]); });
        var s = q.toString();
        window.history.replaceState(null, '', location.pathname + (s ? '?' + s : '') + location.hash);
      }
    }
    form.addEventListener('change', function () { apply(true); });
    form.addEventListener('input', function () { apply(true); });
    form.addEventListener('submit', function (e) { e.preventDefault(); apply(true); });
    apply(false);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
