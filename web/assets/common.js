// Shared by every page: translations, preferences (language, theme, text
// size), the JSON API helper and a safe element builder.
(function () {
  'use strict';
  var N = (window.Nuri = window.Nuri || {});
  var root = document.documentElement;

  var dictEl = document.getElementById('i18n');
  N.dict = dictEl ? JSON.parse(dictEl.textContent) : { en: {} };
  N.lang = N.dict[root.lang] ? root.lang : 'en';

  // t returns the text for key in the current language, with {name}
  // placeholders filled from vars.
  N.t = function (key, vars) {
    var d = N.dict[N.lang] || {};
    var s = d[key];
    if (s === undefined) s = (N.dict.en || {})[key];
    if (s === undefined) s = key;
    if (vars) {
      s = s.replace(/\{(\w+)\}/g, function (m, k) {
        return Object.prototype.hasOwnProperty.call(vars, k) ? String(vars[k]) : m;
      });
    }
    return s;
  };

  function store(key, value) {
    try {
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, value);
    } catch (e) { /* private mode: the choice lasts for this page only */ }
  }
  N.load = function (key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  };
  N.save = store;

  // translate fills every element marked with data-i18n* attributes.
  N.translate = function (scope) {
    scope = scope || document;
    var pairs = [['data-i18n', null], ['data-i18n-placeholder', 'placeholder'],
      ['data-i18n-aria-label', 'aria-label'], ['data-i18n-title', 'title']];
    pairs.forEach(function (p) {
      scope.querySelectorAll('[' + p[0] + ']').forEach(function (el) {
        var text = N.t(el.getAttribute(p[0]));
        if (p[1]) el.setAttribute(p[1], text);
        else el.textContent = text;
      });
    });
  };

  N.setLang = function (lang) {
    if (!N.dict[lang]) return;
    N.lang = lang;
    root.lang = lang;
    document.cookie = 'nuri_lang=' + lang + '; path=/; max-age=31536000; samesite=lax';
    N.translate();
    var sel = document.getElementById('lang-select');
    if (sel) sel.value = lang;
    document.dispatchEvent(new CustomEvent('nuri:lang', { detail: lang }));
  };

  // Theme: "light", "dark" or "auto" (follow the system).
  N.theme = function () {
    var t = root.getAttribute('data-theme');
    if (t) return t;
    return window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  };
  N.setTheme = function (t) {
    if (t === 'light' || t === 'dark') {
      root.setAttribute('data-theme', t);
      store('nuri.theme', t);
    } else {
      root.removeAttribute('data-theme');
      store('nuri.theme', null);
    }
    updateThemeButton();
  };
  function updateThemeButton() {
    var b = document.getElementById('theme-btn');
    if (!b) return;
    var dark = N.theme() === 'dark';
    b.setAttribute('aria-pressed', dark ? 'true' : 'false');
    b.textContent = dark ? '\u2600' : '\u263E';
  }

  // Text size in CSS pixels of the root element; everything is in rem.
  N.fontSizes = [14, 16, 18, 20, 22];
  N.fontSize = function () {
    var s = parseInt(root.style.fontSize || '', 10);
    return N.fontSizes.indexOf(s) >= 0 ? s : 16;
  };
  N.setFontSize = function (px) {
    if (N.fontSizes.indexOf(px) < 0) return;
    root.style.fontSize = px + 'px';
    store('nuri.fontSize', String(px));
    var out = document.getElementById('font-size-value');
    if (out) out.textContent = px + 'px';
    var dec = document.getElementById('font-dec');
    var inc = document.getElementById('font-inc');
    if (dec) dec.disabled = px === N.fontSizes[0];
    if (inc) inc.disabled = px === N.fontSizes[N.fontSizes.length - 1];
  };
  N.stepFontSize = function (dir) {
    var i = N.fontSizes.indexOf(N.fontSize()) + dir;
    if (i >= 0 && i < N.fontSizes.length) N.setFontSize(N.fontSizes[i]);
  };

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  N.csrf = csrfMeta ? csrfMeta.getAttribute('content') : '';

  // api sends a JSON request to this server and returns the decoded
  // answer; failures throw an Error carrying the server's message.
  N.api = function (method, url, body) {
    var opts = { method: method, credentials: 'same-origin', headers: { 'Accept': 'application/json' } };
    if (method !== 'GET') opts.headers['X-CSRF-Token'] = N.csrf;
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (res) {
      if (res.status === 204) return null;
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!res.ok) {
          var msg = data && (data.error && (data.error.message || data.error)) || text || res.statusText;
          var err = new Error(String(msg).trim() || ('HTTP ' + res.status));
          err.status = res.status;
          throw err;
        }
        return data;
      });
    });
  };

  // el builds an element; strings among children become text nodes, so
  // nothing passed here is ever parsed as HTML.
  N.el = function (tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'text') e.textContent = v;
        else if (k === 'class') e.className = v;
        else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? '' : v);
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return e;
  };

  N.fmtInt = function (v) {
    return new Intl.NumberFormat(N.lang === 'ko' ? 'ko-KR' : 'en-US').format(Math.round(v || 0));
  };
  N.fmtNum = function (v, digits) {
    return new Intl.NumberFormat(N.lang === 'ko' ? 'ko-KR' : 'en-US',
      { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(v || 0);
  };
  // fmtPct writes a signed change with the minus sign: "+3.2%", "−9.7%".
  N.fmtPct = function (v) {
    if (v === null || v === undefined) return N.t('change_na');
    var r = Math.round(v * 10) / 10;
    return (r < 0 ? '\u2212' : '+') + Math.abs(r).toFixed(1) + '%';
  };

  function wirePrefs() {
    var sel = document.getElementById('lang-select');
    if (sel) {
      sel.value = N.lang;
      sel.addEventListener('change', function () { N.setLang(sel.value); });
    }
    var tb = document.getElementById('theme-btn');
    if (tb) tb.addEventListener('click', function () { N.setTheme(N.theme() === 'dark' ? 'light' : 'dark'); });
    var dec = document.getElementById('font-dec');
    var inc = document.getElementById('font-inc');
    if (dec) dec.addEventListener('click', function () { N.stepFontSize(-1); });
    if (inc) inc.addEventListener('click', function () { N.stepFontSize(1); });
    updateThemeButton();
    N.setFontSize(N.fontSize());
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', wirePrefs);
  else wirePrefs();
})();
