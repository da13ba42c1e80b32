// A small Markdown renderer for chat messages. Safety rule: every piece
// of message text is HTML-escaped before any markup is added around it,
// and the only attributes produced are a checked http(s)/mailto href and
// fixed class names. The output is therefore inert whatever the input.
(function () {
  'use strict';
  var N = (window.Nuri = window.Nuri || {});

  var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return ESC[c]; });
  }

  // ---- code highlighting ----

  var KEYWORDS = {};
  ('if else elif for while do return func function def class struct interface type import from package ' +
    'const let var new delete try catch except finally raise throw throws switch case default break continue ' +
    'go defer select chan map range fn pub impl trait enum mut use mod match async await yield lambda with as ' +
    'in is not and or of public private protected static void int float double bool boolean char string ' +
    'true false null nil None True False self this super extends implements export where loop unsafe ' +
    'SELECT FROM WHERE INSERT INTO VALUES UPDATE SET DELETE CREATE TABLE JOIN ON GROUP BY ORDER LIMIT AND OR NOT NULL AS ' +
    'echo then fi done esac local')
    .split(' ').forEach(function (k) { KEYWORDS[k] = true; });

  var HASH_COMMENT = /^(py|python|sh|bash|shell|zsh|console|ruby|rb|yaml|yml|toml|perl|r|dockerfile|makefile|make|conf|ini|nix|elixir|ex)$/;
  var DASH_COMMENT = /^(sql|lua|haskell|hs|ada)$/;
  var PLAIN = /^(text|txt|plain|plaintext|markdown|md|output|log)$/;

  function highlight(code, lang) {
    lang = (lang || '').toLowerCase();
    if (PLAIN.test(lang)) return esc(code);
    var line = HASH_COMMENT.test(lang) ? '#' : DASH_COMMENT.test(lang) ? '--' : '\\/\\/';
    var re = new RegExp(
      '(\\/\\*[\\s\\S]*?(?:\\*\\/|$))' + // block comment
      '|(' + line + '[^\\n]*)' + // line comment
      '|("(?:\\\\[\\s\\S]|[^"\\\\\\n])*"?|\'(?:\\\\[\\s\\S]|[^\'\\\\\\n])*\'?|`(?:\\\\[\\s\\S]|[^`\\\\])*`?)' + // strings
      '|(\\b(?:0[xX][0-9a-fA-F_]+|\\d[\\d_]*(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)\\b)' + // numbers
      '|([A-Za-z_$][\\w$]*)', // words
      'g');
    var out = '';
    var last = 0;
    var m;
    while ((m = re.exec(code)) !== null) {
      if (m[0] === '') { re.lastIndex++; continue; }
      out += esc(code.slice(last, m.index));
      last = re.lastIndex;
      var cls = m[1] || m[2] ? 'tok-com' : m[3] ? 'tok-str' : m[4] ? 'tok-num' : KEYWORDS[m[5]] ? 'tok-kw' : '';
      out += cls ? '<span class="' + cls + '">' + esc(m[0]) + '</span>' : esc(m[0]);
    }
    return out + esc(code.slice(last));
  }

  // ---- inline formatting ----

  function safeURL(u) {
    return /^(https?:\/\/|mailto:)[^\s]*$/i.test(u);
  }

  // inline formats one paragraph's text. Code spans and links are cut
  // out first (as numbered placeholders) so that emphasis rules cannot
  // reach into them.
  function inline(raw) {
    var held = [];
    function hold(html) { held.push(html); return '\u0000' + (held.length - 1) + '\u0000'; }
    var s = raw.replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, function (m, ticks, code) {
      return hold('<code>' + esc(code.replace(/^ (.*) $/, '$1')) + '</code>');
    });
    s = esc(s);
    s = s.replace(/\[([^\]\n\u0000]+)\]\(([^()\s\u0000]+)\)/g, function (m, text, url) {
      if (!safeURL(url)) return m;
      return hold('<a href="' + url + '" target="_blank" rel="noopener noreferrer nofollow">' + text + '</a>');
    });
    s = s.replace(/(^|[\s(])(https?:\/\/[^\s<\u0000]*[^\s<.,;:!?)\u0000'])/g, function (m, pre, url) {
      return pre + hold('<a href="' + url + '" target="_blank" rel="noopener noreferrer nofollow">' + url + '</a>');
    });
    s = s.replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '<strong>$1</strong>');
    s = s.replace(/(^|[^\w])__(?=\S)([\s\S]*?\S)__(?!\w)/g, '$1<strong>$2</strong>');
    s = s.replace(/(^|[^*\w])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?!\w)/g, '$1<em>$2</em>');
    s = s.replace(/(^|[^\w])_(?=[^\s_])([^_\n]*?[^\s_])_(?!\w)/g, '$1<em>$2</em>');
    s = s.replace(/~~(?=\S)([\s\S]*?\S)~~/g, '<del>$1</del>');
    s = s.replace(/\n/g, '<br>');
    // Placeholders may nest (a code span inside link text): resolve until none is left.
    for (var i = 0; i < 3 && s.indexOf('\u0000') >= 0; i++) {
      s = s.replace(/\u0000(\d+)\u0000/g, function (m, n) { return held[+n]; });
    }
    return s;
  }

  // ---- blocks ----

  var FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
  var LIST = /^( *)([-*+]|\d{1,9}[.)])\s+(.*)$/;
  var HR = /^ {0,3}([-*_])( *\1){2,} *$/;
  var HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
  var QUOTE = /^ {0,3}> ?(.*)$/;
  var TABLE_SEP = /^ *\|? *:?-{2,}:? *(\| *:?-{2,}:? *)*\|? *$/;

  function startsBlock(line, next) {
    return FENCE.test(line) || HEADING.test(line) || HR.test(line) || QUOTE.test(line) || LIST.test(line) ||
      (line.indexOf('|') >= 0 && next !== undefined && TABLE_SEP.test(next));
  }

  function splitRow(line) {
    var s = line.trim().replace(/^\|/, '').replace(/\|$/, '');
    return s.split(/(?<!\\)\|/).map(function (c) { return c.trim().replace(/\\\|/g, '|'); });
  }

  function blocks(lines) {
    var out = [];
    var i = 0;
    while (i < lines.length) {
      var line = lines[i];
      var m;
      if ((m = line.match(FENCE))) {
        var fence = m[1];
        var lang = m[2] || '';
        var code = [];
        i++;
        while (i < lines.length && !(lines[i].trim().indexOf(fence) === 0 && lines[i].trim().replace(/[`~]/g, '') === '')) {
          code.push(lines[i]);
          i++;
        }
        i++; // closing fence (or the end of a message still streaming)
        var cls = lang ? ' class="lang-' + esc(lang.replace(/[^\w+#.-]/g, '')) + '"' : '';
        out.push('<pre' + cls + '><code>' + highlight(code.join('\n'), lang) + '</code></pre>');
        continue;
      }
      if (/^\s*$/.test(line)) { i++; continue; }
      if ((m = line.match(HEADING))) {
        var level = Math.min(m[1].length + 2, 6);
        out.push('<h' + level + '>' + inline(m[2]) + '</h' + level + '>');
        i++;
        continue;
      }
      if (HR.test(line)) { out.push('<hr>'); i++; continue; }
      if (QUOTE.test(line)) {
        var q = [];
        while (i < lines.length && (m = lines[i].match(QUOTE))) { q.push(m[1]); i++; }
        out.push('<blockquote>' + blocks(q) + '</blockquote>');
        continue;
      }
      if ((m = line.match(LIST))) {
        var ordered = /\d/.test(m[2]);
        var indent = m[1].length;
        var items = [];
        var cur = null;
        while (i < lines.length) {
          var l = lines[i];
          var lm = l.match(LIST);
          if (lm && lm[1].length <= indent + 1 && /\d/.test(lm[2]) === ordered) {
            cur = [lm[3]];
            items.push(cur);
            i++;
            continue;
          }
          if (/^\s*$/.test(l)) {
            // A blank line ends the list unless an indented line follows.
            if (i + 1 < lines.length && /^ {2,}\S/.test(lines[i + 1]) && cur) { cur.push(''); i++; continue; }
            break;
          }
          if (cur && (/^ {2,}/.test(l) || !startsBlock(l, lines[i + 1]))) {
            cur.push(l.replace(/^ {1,4}/, ''));
            i++;
            continue;
          }
          break;
        }
        var start = ordered ? parseInt(m[2], 10) : 1;
        var open = ordered ? (start !== 1 ? '<ol start="' + start + '">' : '<ol>') : '<ul>';
        out.push(open + items.map(function (it) {
          var inner = blocks(it);
          // Tight items: one paragraph shows without its <p>.
          var tight = inner.match(/^<p>([\s\S]*)<\/p>$/);
          if (tight && tight[1].indexOf('<p>') < 0) inner = tight[1];
          return '<li>' + inner + '</li>';
        }).join('') + (ordered ? '</ol>' : '</ul>'));
        continue;
      }
      if (line.indexOf('|') >= 0 && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1])) {
        var head = splitRow(line);
        var rows = [];
        i += 2;
        while (i < lines.length && lines[i].indexOf('|') >= 0 && !/^\s*$/.test(lines[i])) { rows.push(splitRow(lines[i])); i++; }
        var html = '<div class="table-wrap"><table><thead><tr>' +
          head.map(function (c) { return '<th>' + inline(c) + '</th>'; }).join('') + '</tr></thead><tbody>';
        rows.forEach(function (r) {
          html += '<tr>' + head.map(function (_, k) { return '<td>' + inline(r[k] || '') + '</td>'; }).join('') + '</tr>';
        });
        out.push(html + '</tbody></table></div>');
        continue;
      }
      var para = [line];
      i++;
      while (i < lines.length && !/^\s*$/.test(lines[i]) && !startsBlock(lines[i], lines[i + 1])) { para.push(lines[i]); i++; }
      out.push('<p>' + inline(para.join('\n')) + '</p>');
    }
    return out.join('');
  }

  function render(src) {
    var text = String(src === undefined || src === null ? '' : src).replace(/\r\n?/g, '\n').replace(/\u0000/g, '\uFFFD');
    return blocks(text.split('\n'));
  }

  // enhance adds a language label and a copy button to each code block
  // of a rendered message.
  function enhance(container, labels) {
    container.querySelectorAll('pre').forEach(function (pre) {
      if (pre.parentNode && pre.parentNode.classList.contains('code-block')) return;
      var lang = (pre.className.match(/lang-([\w+#.-]+)/) || [])[1] || '';
      var wrap = document.createElement('div');
      wrap.className = 'code-block';
      var bar = document.createElement('div');
      bar.className = 'code-bar';
      var name = document.createElement('span');
      name.textContent = lang;
      var btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'copy-code';
      btn.textContent = labels.copy;
      btn.setAttribute('aria-label', labels.copyCode);
      btn.addEventListener('click', function () {
        copyText(pre.textContent).then(function (ok) {
          btn.textContent = ok ? labels.copied : labels.copyFailed;
          setTimeout(function () { btn.textContent = labels.copy; }, 1500);
        });
      });
      bar.appendChild(name);
      bar.appendChild(btn);
      pre.parentNode.insertBefore(wrap, pre);
      wrap.appendChild(bar);
      wrap.appendChild(pre);
    });
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; }, function () { return legacyCopy(text); });
    }
    return Promise.resolve(legacyCopy(text));
  }
  function legacyCopy(text) {
    var ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.className = 'offscreen';
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    ta.remove();
    return ok;
  }

  N.md = { render: render, escape: esc, highlight: highlight, enhance: enhance, copy: copyText };
})();
