// The usage dashboard: reads /api/usage, shows the latest period against
// the one before, SVG charts and tables, and links the same query as CSV.
(function () {
  'use strict';
  var N = window.Nuri;
  var t = N.t;
  var el = N.el;
  var $ = function (id) { return document.getElementById(id); };
  var SVG = 'http://www.w3.org/2000/svg';
  var report = null;

  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  function locale() { return N.lang === 'ko' ? 'ko-KR' : 'en-US'; }

  // periodName names a row's period for people, in the page's language.
  function periodName(period, iso, long) {
    var d = new Date(iso);
    var opt = { timeZone: 'UTC' };
    if (period === 'month') { opt.year = 'numeric'; opt.month = long ? 'long' : 'short'; }
    else { opt.month = 'short'; opt.day = 'numeric'; if (long) opt.year = 'numeric'; }
    var s = new Intl.DateTimeFormat(locale(), opt).format(d);
    return period === 'week' ? t('week_of', { date: s }) : s;
  }

  function query() {
    var p = new URLSearchParams();
    p.set('period', $('period').value);
    if ($('model-filter').value) p.set('model', $('model-filter').value);
    if ($('from').value) p.set('from', $('from').value);
    if ($('to').value) p.set('to', $('to').value);
    return p.toString();
  }

  function load() {
    var q = query();
    $('csv-link').setAttribute('href', '/api/usage.csv?' + q);
    $('usage-status').textContent = t('loading');
    $('usage-status').classList.remove('error');
    return N.api('GET', '/api/usage?' + q).then(function (r) {
      report = r;
      $('usage-status').textContent = '';
      render();
    }, function (e) {
      $('usage-status').textContent = t('err_generic', { message: e.message });
      $('usage-status').classList.add('error');
    });
  }

  function changeBadge(v, goodWhenUp) {
    var cls = 'change';
    if (v !== null && v !== undefined && Math.round(v * 10) !== 0) {
      var up = v > 0;
      cls += (up === goodWhenUp) ? ' good' : ' bad';
      cls += up ? ' up' : ' down';
    }
    return el('span', { class: cls }, N.fmtPct(v));
  }

  function render() {
    var r = report;
    var sel = $('model-filter');
    var keep = sel.value;
    sel.textContent = '';
    sel.appendChild(el('option', { value: '' }, t('all_models')));
    var names = r.model_names.slice();
    if (keep && names.indexOf(keep) < 0) names.unshift(keep);
    names.forEach(function (m) { sel.appendChild(el('option', { value: m }, m)); });
    sel.value = keep;
    if (!$('from').value) $('from').value = r.from.slice(0, 10);
    if (!$('to').value) $('to').value = r.to.slice(0, 10);

    var rows = r.rows || [];
    var last = rows[rows.length - 1];
    var prev = rows.length > 1 ? rows[rows.length - 2] : null;
    $('summary').textContent = last ? t('summary', {
      period: periodName(r.period, last.start, true),
      requests: N.fmtPct(last.change.requests),
      users: N.fmtPct(last.change.unique_users),
      previous: prev ? periodName(r.period, prev.start, true) : t('previous_period')
    }) : '';

    var cards = $('cards');
    cards.textContent = '';
    if (last) {
      [
        ['requests', N.fmtInt(last.requests), last.change.requests, true],
        ['prompt_tokens', N.fmtInt(last.prompt_tokens), last.change.prompt_tokens, true],
        ['completion_tokens', N.fmtInt(last.completion_tokens), last.change.completion_tokens, true],
        ['unique_users', N.fmtInt(last.unique_users), last.change.unique_users, true],
        ['unique_api_keys', N.fmtInt(last.unique_api_keys), last.change.unique_api_keys, true],
        ['errors', N.fmtInt(last.errors), last.change.errors, false],
        ['ttft_avg', last.ttft_avg_ms ? N.fmtNum(last.ttft_avg_ms, 0) + ' ms' : '\u2013', last.change.ttft_avg_ms, false],
        ['tps_avg', last.tokens_per_sec_avg ? N.fmtNum(last.tokens_per_sec_avg, 1) : '\u2013', last.change.tokens_per_sec_avg, true]
      ].forEach(function (c) {
        cards.appendChild(el('div', { class: 'card', 'data-metric': c[0] },
          el('div', { class: 'card-label' }, t(c[0])),
          el('div', { class: 'card-value' }, c[1]),
          el('div', { class: 'card-change' }, changeBadge(c[2], c[3]), ' ', el('span', { class: 'muted' }, t('vs_previous')))));
      });
    }

    barChart($('chart-requests'), rows, [{ key: 'requests', cls: 'series-a', label: t('requests') }, { key: 'errors', cls: 'series-err', label: t('errors') }], false);
    barChart($('chart-tokens'), rows, [{ key: 'prompt_tokens', cls: 'series-a', label: t('prompt_tokens') }, { key: 'completion_tokens', cls: 'series-b', label: t('completion_tokens') }], true);
    lineChart($('chart-ttft'), rows, 'ttft_avg_ms', t('ttft_avg'), 'ms');
    lineChart($('chart-tps'), rows, 'tokens_per_sec_avg', t('tps_avg'), '');
    periodTable(rows);
    modelTable();
  }

  // niceMax rounds a chart's top up so that its four grid steps are
  // round numbers (1, 2 or 5 times a power of ten).
  function niceMax(v) {
    if (!(v > 0)) return 4;
    var raw = v / 4;
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var n = raw / p;
    var step = (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * p;
    if (v >= 4 && step < 1) step = 1;
    return step * 4;
  }

  var W = 520;
  var H = 220;
  var PAD = { l: 52, r: 12, t: 12, b: 34 };

  function frame(box, label, max, rows) {
    box.textContent = '';
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': label, class: 'chart-svg' });
    var title = svg('title');
    title.textContent = label;
    s.appendChild(title);
    var ih = H - PAD.t - PAD.b;
    for (var k = 0; k <= 4; k++) {
      var y = PAD.t + ih - ih * k / 4;
      s.appendChild(svg('line', { x1: PAD.l, x2: W - PAD.r, y1: y, y2: y, class: 'grid' }));
      var tx = svg('text', { x: PAD.l - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' });
      tx.textContent = N.fmtNum(max * k / 4, max < 4 ? 1 : 0);
      s.appendChild(tx);
    }
    var n = rows.length;
    var step = Math.max(1, Math.ceil(n / 6));
    var iw = W - PAD.l - PAD.r;
    rows.forEach(function (r, i) {
      // Every step-th period, and the last one when it is not crowded.
      if (i % step !== 0 && !(i === n - 1 && (n - 1) % step > step / 2)) return;
      var x = PAD.l + iw * (i + 0.5) / n;
      var lt = svg('text', { x: x, y: H - PAD.b + 16, class: 'axis', 'text-anchor': 'middle' });
      lt.textContent = periodName(report.period, r.start, false);
      s.appendChild(lt);
    });
    box.appendChild(s);
    return s;
  }

  function legend(box, series) {
    var ul = el('ul', { class: 'legend' });
    series.forEach(function (sr) { ul.appendChild(el('li', null, el('span', { class: 'swatch ' + sr.cls }), sr.label)); });
    box.appendChild(ul);
  }

  function barChart(box, rows, series, stacked) {
    var max = 0;
    rows.forEach(function (r) {
      var v = stacked ? series.reduce(function (a, sr) { return a + (r[sr.key] || 0); }, 0) : (r[series[0].key] || 0);
      max = Math.max(max, v);
    });
    max = niceMax(max);
    var s = frame(box, series.map(function (x) { return x.label; }).join(', '), max, rows);
    var n = rows.length || 1;
    var iw = W - PAD.l - PAD.r;
    var ih = H - PAD.t - PAD.b;
    var bw = Math.max(1, iw / n * 0.7);
    rows.forEach(function (r, i) {
      var x = PAD.l + iw * (i + 0.5) / n - bw / 2;
      var base = 0;
      series.forEach(function (sr, k) {
        var v = r[sr.key] || 0;
        var h = ih * v / max;
        var y = stacked ? PAD.t + ih - ih * (base + v) / max : PAD.t + ih - h;
        var w = stacked || k === 0 ? bw : bw * 0.45;
        var rect = svg('rect', { x: stacked || k === 0 ? x : x + (bw - w) / 2, y: y, width: w, height: Math.max(0, h), class: 'bar ' + sr.cls });
        var tip = svg('title');
        tip.textContent = periodName(report.period, r.start, true) + ' \u2013 ' + sr.label + ': ' + N.fmtInt(v);
        rect.appendChild(tip);
        s.appendChild(rect);
        if (stacked) base += v;
      });
    });
    legend(box, series);
  }

  function lineChart(box, rows, key, label, unit) {
    var max = niceMax(rows.reduce(function (a, r) { return Math.max(a, r[key] || 0); }, 0));
    var s = frame(box, label, max, rows);
    var n = rows.length || 1;
    var iw = W - PAD.l - PAD.r;
    var ih = H - PAD.t - PAD.b;
    var pts = [];
    rows.forEach(function (r, i) {
      if (!r[key]) return;
      var x = PAD.l + iw * (i + 0.5) / n;
      var y = PAD.t + ih - ih * r[key] / max;
      pts.push(x.toFixed(1) + ',' + y.toFixed(1));
      var c = svg('circle', { cx: x, cy: y, r: 3.5, class: 'dot' });
      var tip = svg('title');
      tip.textContent = periodName(report.period, r.start, true) + ' \u2013 ' + label + ': ' + N.fmtNum(r[key], 1) + (unit ? ' ' + unit : '');
      c.appendChild(tip);
      s.appendChild(c);
    });
    if (pts.length > 1) s.insertBefore(svg('polyline', { points: pts.join(' '), class: 'line' }), s.querySelector('circle'));
    if (!pts.length) box.appendChild(el('p', { class: 'muted' }, t('no_data')));
  }

  function table(tbl, head, body) {
    tbl.textContent = '';
    var thead = el('thead', null, el('tr', null));
    head.forEach(function (h, i) { thead.firstChild.appendChild(el('th', { scope: 'col', class: i ? 'num' : '' }, h)); });
    var tb = el('tbody');
    body.forEach(function (cells) {
      var tr = el('tr');
      cells.forEach(function (c, i) {
        var cell = el(i ? 'td' : 'th', i ? { class: 'num' } : { scope: 'row' });
        cell.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
        tr.appendChild(cell);
      });
      tb.appendChild(tr);
    });
    tbl.appendChild(thead);
    tbl.appendChild(tb);
  }

  function periodTable(rows) {
    table($('period-table'),
      [t('period'), t('requests'), t('change'), t('prompt_tokens'), t('completion_tokens'), t('unique_users'), t('unique_api_keys'),
        t('errors'), t('ttft_avg'), t('ttft_p95'), t('tps_avg')],
      rows.slice().reverse().map(function (r) {
        return [periodName(report.period, r.start, true), N.fmtInt(r.requests), changeBadge(r.change.requests, true),
          N.fmtInt(r.prompt_tokens), N.fmtInt(r.completion_tokens), N.fmtInt(r.unique_users), N.fmtInt(r.unique_api_keys),
          N.fmtInt(r.errors), r.ttft_avg_ms ? N.fmtNum(r.ttft_avg_ms, 0) : '\u2013', r.ttft_p95_ms ? N.fmtNum(r.ttft_p95_ms, 0) : '\u2013',
          r.tokens_per_sec_avg ? N.fmtNum(r.tokens_per_sec_avg, 1) : '\u2013'];
      }));
  }

  function modelTable() {
    var names = report.model_names;
    table($('model-table'),
      [t('model'), t('requests'), t('latest_requests'), t('change'), t('prompt_tokens'), t('completion_tokens'), t('errors')],
      names.map(function (m) {
        var rs = report.models[m] || [];
        var sum = function (k) { return rs.reduce(function (a, r) { return a + (r[k] || 0); }, 0); };
        var last = rs[rs.length - 1] || { requests: 0, change: {} };
        return [m, N.fmtInt(sum('requests')), N.fmtInt(last.requests), changeBadge(last.change.requests, true),
          N.fmtInt(sum('prompt_tokens')), N.fmtInt(sum('completion_tokens')), N.fmtInt(sum('errors'))];
      }));
    if (!names.length) {
      var tb = $('model-table').querySelector('tbody');
      tb.appendChild(el('tr', null, el('td', { colspan: '7', class: 'muted' }, t('no_data'))));
    }
  }

  $('usage-controls').addEventListener('submit', function (e) { e.preventDefault(); load(); });
  $('period').addEventListener('change', function () { $('from').value = ''; $('to').value = ''; load(); });
  $('model-filter').addEventListener('change', load);
  document.addEventListener('nuri:lang', function () { if (report) render(); });
  load().then(function () { document.body.setAttribute('data-ready', 'true'); });
})();
