// The chat page: conversations (kept on the server, or in the browser in
// single-user mode), streaming answers from /v1/chat/completions, and the
// message actions (copy, translate, edit and resend, regenerate).
(function () {
  'use strict';
  var N = window.Nuri;
  var t = N.t;
  var el = N.el;
  var $ = function (id) { return document.getElementById(id); };

  var ui = {
    list: $('conv-list'), search: $('search'), newChat: $('new-chat'), title: $('conv-title'),
    model: $('model'), messages: $('messages'), status: $('status'), form: $('composer'),
    input: $('composer-input'), send: $('send'), stop: $('stop'), settingsBtn: $('settings-btn'),
    settings: $('settings'), system: $('system'), temp: $('temperature'), tempOut: $('temperature-value'),
    sidebar: $('sidebar'), openSidebar: $('open-sidebar'), closeSidebar: $('close-sidebar'),
    backdrop: $('backdrop'), help: $('help'), helpBtn: $('help-btn'), helpClose: $('help-close'), empty: $('empty')
  };

  var state = {
    me: null, store: null, convs: [], conv: null, models: [],
    busy: null, // AbortController of the running generation
    draftSystem: '', draftTemp: null
  };

  // ---- storage ----

  function enc(id) { return encodeURIComponent(id); }

  var serverStore = {
    list: function (q) {
      return N.api('GET', '/api/conversations' + (q ? '?q=' + encodeURIComponent(q) : ''))
        .then(function (r) { return r.conversations; });
    },
    create: function (c) {
      return N.api('POST', '/api/conversations', { title: c.title, model: c.model, system: c.system || '', settings: c.settings || {} });
    },
    get: function (id) {
      return N.api('GET', '/api/conversations/' + enc(id)).then(function (r) {
        r.conversation.messages = r.messages;
        return r.conversation;
      });
    },
    rename: function (id, title) { return N.api('PATCH', '/api/conversations/' + enc(id), { title: title }); },
    remove: function (id) { return N.api('DELETE', '/api/conversations/' + enc(id)); },
    settings: function (id, s) { return N.api('PATCH', '/api/conversations/' + enc(id), { settings: s }); },
    append: function (id, m) { return N.api('POST', '/api/conversations/' + enc(id) + '/messages', m); },
    replace: function (id, msgs) { return N.api('PUT', '/api/conversations/' + enc(id) + '/messages', msgs); }
  };

  // browserStore keeps conversations in localStorage, for the
  // single-user mode where the server has no account to file them under.
  var browserStore = (function () {
    var KEY = 'nuri.conversations';
    function all() {
      try { return JSON.parse(N.load(KEY) || '{}') || {}; } catch (e) { return {}; }
    }
    function put(db) { N.save(KEY, JSON.stringify(db)); }
    function now() { return new Date().toISOString(); }
    function summary(c) { return { id: c.id, title: c.title, model: c.model, created_at: c.created_at, updated_at: c.updated_at }; }
    function need(db, id) {
      if (!db[id]) { var e = new Error(t('err_not_found')); e.status = 404; throw e; }
      return db[id];
    }
    return {
      list: function (q) {
        var db = all();
        q = (q || '').toLowerCase();
        var out = Object.keys(db).map(function (k) { return db[k]; }).filter(function (c) {
          return !q || c.title.toLowerCase().indexOf(q) >= 0 || c.messages.some(function (m) {
            return m.role !== 'system' && m.content.toLowerCase().indexOf(q) >= 0;
          });
        });
        out.sort(function (a, b) { return a.updated_at < b.updated_at ? 1 : -1; });
        return Promise.resolve(out.map(summary));
      },
      create: function (c) {
        var db = all();
        var id = 'local-' + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
        var conv = { id: id, title: c.title, model: c.model, settings: c.settings || {}, created_at: now(), updated_at: now(), messages: [] };
        if (c.system) conv.messages.push({ role: 'system', content: c.system });
        db[id] = conv;
        put(db);
        return Promise.resolve(summary(conv));
      },
      get: function (id) {
        try { return Promise.resolve(JSON.parse(JSON.stringify(need(all(), id)))); } catch (e) { return Promise.reject(e); }
      },
      rename: function (id, title) {
        try {
          var db = all();
          need(db, id).title = title;
          db[id].updated_at = now();
          put(db);
          return Promise.resolve(summary(db[id]));
        } catch (e) { return Promise.reject(e); }
      },
      remove: function (id) { var db = all(); delete db[id]; put(db); return Promise.resolve(null); },
      settings: function (id, s) {
        try {
          var db = all();
          need(db, id).settings = s;
          put(db);
          return Promise.resolve(summary(db[id]));
        } catch (e) { return Promise.reject(e); }
      },
      append: function (id, m) {
        try {
          var db = all();
          need(db, id).messages.push(m);
          db[id].updated_at = now();
          put(db);
          return Promise.resolve(m);
        } catch (e) { return Promise.reject(e); }
      },
      replace: function (id, msgs) {
        try {
          var db = all();
          need(db, id).messages = msgs;
          db[id].updated_at = now();
          put(db);
          return Promise.resolve(null);
        } catch (e) { return Promise.reject(e); }
      }
    };
  })();

  // Per-conversation settings, kept with the conversation: temperature
  // and the model picked last.
  function convSettings(c) {
    var s = c && c.settings;
    return s ? { temperature: s.temperature, model: s.model } : {};
  }
  function saveConvSettings(s) {
    var conv = state.conv;
    if (!conv) return;
    conv.settings = s;
    state.store.settings(conv.id, s).catch(showError);
  }

  // ---- status line ----

  // The last status, so that a language switch can say it again.
  var lastStatus = { key: '', vars: null, isError: false };
  function setStatus(key, vars, isError) {
    lastStatus = { key: key, vars: vars, isError: isError };
    ui.status.textContent = key ? t(key, vars) : '';
    ui.status.classList.toggle('error', !!isError);
  }
  function showError(err) {
    setStatus('err_generic', { message: err && err.message ? err.message : String(err) }, true);
  }

  // ---- sidebar ----

  function renderList() {
    ui.list.textContent = '';
    if (!state.convs.length) {
      ui.list.appendChild(el('li', { class: 'conv-empty', text: ui.search.value ? t('no_results') : t('no_conversations') }));
      return;
    }
    state.convs.forEach(function (c) {
      var current = state.conv && state.conv.id === c.id;
      var open = el('button', {
        type: 'button', class: 'conv-open', 'aria-current': current ? 'true' : null,
        onclick: function () { openConversation(c.id); closeSidebar(); }
      }, c.title || t('untitled'));
      var rename = el('button', {
        type: 'button', class: 'icon-btn small', 'aria-label': t('rename_named', { title: c.title || t('untitled') }),
        title: t('rename'), onclick: function () { startRename(li, c); }
      }, '\u270E');
      var del = el('button', {
        type: 'button', class: 'icon-btn small', 'aria-label': t('delete_named', { title: c.title || t('untitled') }),
        title: t('delete'), onclick: function () { deleteConversation(c); }
      }, '\u2715');
      var li = el('li', { class: 'conv-item' + (current ? ' current' : ''), 'data-id': c.id }, open, el('span', { class: 'conv-actions' }, rename, del));
      ui.list.appendChild(li);
    });
  }

  function refreshList() {
    return state.store.list(ui.search.value.trim()).then(function (cs) {
      state.convs = cs || [];
      renderList();
    }, showError);
  }

  function startRename(li, c) {
    var input = el('input', { type: 'text', class: 'rename-input', value: c.title, 'aria-label': t('rename_label'), maxlength: '200' });
    li.textContent = '';
    li.appendChild(input);
    input.focus();
    input.select();
    var done = false;
    function finish(save) {
      if (done) return;
      done = true;
      var title = input.value.trim();
      if (!save || !title || title === c.title) { renderList(); return; }
      state.store.rename(c.id, title).then(function () {
        c.title = title;
        if (state.conv && state.conv.id === c.id) { state.conv.title = title; ui.title.textContent = title; }
        return refreshList();
      }, function (e) { showError(e); renderList(); });
    }
    input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter') { e.preventDefault(); finish(true); }
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); finish(false); }
    });
    input.addEventListener('blur', function () { finish(true); });
  }

  function deleteConversation(c) {
    if (!window.confirm(t('confirm_delete', { title: c.title || t('untitled') }))) return;
    state.store.remove(c.id).then(function () {
      if (state.conv && state.conv.id === c.id) newChat();
      return refreshList();
    }, showError);
  }

  function openSidebar() {
    ui.sidebar.classList.add('open');
    ui.backdrop.hidden = false;
    ui.openSidebar.setAttribute('aria-expanded', 'true');
    ui.search.focus();
  }
  function closeSidebar() {
    if (!ui.sidebar.classList.contains('open')) return;
    ui.sidebar.classList.remove('open');
    ui.backdrop.hidden = true;
    ui.openSidebar.setAttribute('aria-expanded', 'false');
  }

  // ---- conversation view ----

  function newChat() {
    if (state.busy) state.busy.abort();
    state.nav = (state.nav || 0) + 1; // a conversation still loading must not replace this
    state.conv = null;
    state.draftSystem = '';
    state.draftTemp = null;
    ui.title.textContent = t('new_chat');
    ui.system.value = '';
    setTemperature(defaultTemp());
    renderMessages();
    renderList();
    setStatus('');
    ui.input.focus();
  }

  function defaultTemp() {
    var v = parseFloat(N.load('nuri.temperature') || '');
    return isNaN(v) ? 0.7 : v;
  }
  function setTemperature(v) {
    ui.temp.value = String(v);
    ui.tempOut.textContent = Number(v).toFixed(1);
  }

  function openConversation(id) {
    if (state.busy) state.busy.abort();
    var nav = state.nav = (state.nav || 0) + 1;
    return state.store.get(id).then(function (c) {
      if (nav !== state.nav) return; // the user moved on while it loaded
      state.conv = c;
      ui.title.textContent = c.title || t('untitled');
      var sys = c.messages.filter(function (m) { return m.role === 'system'; })[0];
      ui.system.value = sys ? sys.content : '';
      var s = convSettings(c);
      setTemperature(typeof s.temperature === 'number' ? s.temperature : defaultTemp());
      var model = s.model || c.model;
      if (model && state.models.indexOf(model) >= 0) ui.model.value = model;
      renderMessages();
      renderList();
      setStatus('');
      N.save('nuri.lastConversation', c.id);
    }, function (e) {
      if (nav !== state.nav) return;
      if (e.status === 404) { newChat(); refreshList(); return; }
      showError(e);
    });
  }

  function visibleMessages() {
    return state.conv ? state.conv.messages : [];
  }

  function renderMessages() {
    ui.messages.textContent = '';
    var msgs = visibleMessages();
    var shown = 0;
    msgs.forEach(function (m, i) {
      if (m.role === 'system') return;
      ui.messages.appendChild(messageView(m, i));
      shown++;
    });
    ui.empty.hidden = shown > 0;
    scrollToEnd(true);
  }

  function lastIndex(role) {
    var msgs = visibleMessages();
    for (var i = msgs.length - 1; i >= 0; i--) if (msgs[i].role === role) return i;
    return -1;
  }

  function renderMarkdown(node, text) {
    node.innerHTML = N.md.render(text); // escaped by the renderer: see md.js
    N.md.enhance(node, { copy: t('copy'), copyCode: t('copy_code'), copied: t('copied'), copyFailed: t('copy_failed') });
  }

  function messageView(m, index) {
    var isUser = m.role === 'user';
    var body = el('div', { class: 'msg-body' });
    if (isUser) body.appendChild(el('p', { class: 'plain' }, m.content));
    else renderMarkdown(body, m.content);
    var actions = el('div', { class: 'msg-actions' });
    actions.appendChild(el('button', {
      type: 'button', class: 'act', onclick: function (e) {
        var b = e.currentTarget;
        N.md.copy(m.content).then(function (ok) {
          b.textContent = ok ? t('copied') : t('copy_failed');
          setTimeout(function () { b.textContent = t('copy'); }, 1500);
        });
      }
    }, t('copy')));
    actions.appendChild(el('button', { type: 'button', class: 'act act-translate', onclick: function () { translate(art, m.content); } }, t('translate')));
    if (isUser) {
      actions.appendChild(el('button', { type: 'button', class: 'act act-edit', onclick: function () { editMessage(art, index); } }, t('edit')));
    } else if (index === lastIndex('assistant') && index === visibleMessages().length - 1) {
      actions.appendChild(el('button', { type: 'button', class: 'act act-regenerate', onclick: regenerate }, t('regenerate')));
    }
    var who = el('div', { class: 'msg-who' }, isUser ? t('you') : (m.model || t('assistant')));
    var art = el('article', { class: 'msg ' + (isUser ? 'user' : 'assistant'), 'data-index': String(index), 'aria-label': isUser ? t('you') : t('assistant') },
      who, body, actions);
    return art;
  }

  function scrollToEnd(force) {
    var box = ui.messages;
    var near = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
    if (force || near) box.scrollTop = box.scrollHeight;
  }

  // ---- generation ----

  function setBusy(ctrl) {
    state.busy = ctrl;
    ui.stop.hidden = !ctrl;
    ui.send.hidden = !!ctrl;
    ui.messages.setAttribute('aria-busy', ctrl ? 'true' : 'false');
  }

  // stream posts a chat request and calls onDelta with each piece of
  // text as it arrives. It resolves with {text, usage, stopped}.
  function stream(body, signal, onDelta) {
    body.stream = true;
    body.stream_options = { include_usage: true };
    return fetch('/v1/chat/completions', {
      method: 'POST', credentials: 'same-origin', signal: signal,
      headers: { 'Content-Type': 'application/json', 'Accept': 'text/event-stream', 'X-CSRF-Token': N.csrf },
      body: JSON.stringify(body)
    }).then(function (res) {
      if (!res.ok) {
        return res.text().then(function (txt) {
          var msg = txt;
          try { var j = JSON.parse(txt); msg = (j.error && (j.error.message || j.error)) || txt; } catch (e) { /* plain text */ }
          throw new Error(String(msg).trim() || ('HTTP ' + res.status));
        });
      }
      var reader = res.body.getReader();
      var dec = new TextDecoder();
      var buf = '';
      var text = '';
      var usage = null;
      var finished = false;
      function handle(block) {
        var data = [];
        block.split('\n').forEach(function (line) {
          if (line.indexOf('data:') === 0) data.push(line.slice(5).replace(/^ /, ''));
        });
        if (!data.length) return;
        var payload = data.join('\n');
        if (payload === '[DONE]') { finished = true; return; }
        var chunk;
        try { chunk = JSON.parse(payload); } catch (e) { return; }
        if (chunk.error) throw new Error(chunk.error.message || String(chunk.error));
        if (chunk.usage) usage = chunk.usage;
        var ch = chunk.choices && chunk.choices[0];
        var piece = ch && ch.delta && typeof ch.delta.content === 'string' ? ch.delta.content : '';
        if (piece) { text += piece; onDelta(text); }
      }
      function pump() {
        return reader.read().then(function (r) {
          if (r.done) { if (buf.trim()) handle(buf); return { text: text, usage: usage }; }
          buf += dec.decode(r.value, { stream: true }).replace(/\r\n?/g, '\n');
          var cut;
          while ((cut = buf.indexOf('\n\n')) >= 0) {
            var block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            handle(block);
          }
          if (finished) { reader.cancel().catch(function () {}); return { text: text, usage: usage }; }
          return pump();
        });
      }
      return pump();
    });
  }

  function chatMessages() {
    var out = [];
    var sys = ui.system.value.trim();
    if (sys) out.push({ role: 'system', content: sys });
    visibleMessages().forEach(function (m) {
      if (m.role !== 'system') out.push({ role: m.role, content: m.content });
    });
    return out;
  }

  // generate asks the model to answer the conversation as it stands and
  // saves the answer (also a partial one, when stopped).
  function generate() {
    var conv = state.conv;
    var model = ui.model.value;
    if (!model) { setStatus('err_no_model', null, true); return Promise.resolve(); }
    var ctrl = new AbortController();
    setBusy(ctrl);
    setStatus('generating');
    var pending = { role: 'assistant', content: '', model: model };
    var view = messageView(pending, conv.messages.length);
    view.classList.add('streaming');
    var body = view.querySelector('.msg-body');
    var actions = view.querySelector('.msg-actions');
    actions.hidden = true;
    ui.messages.appendChild(view);
    ui.empty.hidden = true;
    scrollToEnd(true);
    var frame = 0;
    var latest = '';
    var started = performance.now();
    var req = { model: model, messages: chatMessages(), temperature: parseFloat(ui.temp.value) };
    return stream(req, ctrl.signal, function (text) {
      latest = text;
      if (!frame) {
        frame = requestAnimationFrame(function () { frame = 0; renderMarkdown(body, latest); scrollToEnd(false); });
      }
    }).then(function (res) {
      return { text: res.text, usage: res.usage, stopped: false };
    }, function (err) {
      if (err && err.name === 'AbortError') return { text: latest, usage: null, stopped: true };
      throw err;
    }).then(function (res) {
      if (frame) cancelAnimationFrame(frame);
      if (!res.text) {
        view.remove();
        setStatus(res.stopped ? 'stopped' : 'empty_answer');
        return null;
      }
      pending.content = res.text;
      if (res.usage) {
        pending.prompt_tokens = res.usage.prompt_tokens || 0;
        pending.completion_tokens = res.usage.completion_tokens || 0;
      }
      if (state.conv !== conv) return state.store.append(conv.id, pending);
      conv.messages.push(pending);
      var secs = (performance.now() - started) / 1000;
      setStatus(res.stopped ? 'stopped' : 'done', { seconds: secs.toFixed(1) });
      return state.store.append(conv.id, pending).then(function () {
        renderMessages();
        refreshList();
      });
    }).catch(function (err) {
      if (frame) cancelAnimationFrame(frame);
      view.classList.add('failed');
      body.textContent = '';
      body.appendChild(el('p', { class: 'error', role: 'alert' }, t('err_generic', { message: err.message || String(err) })));
      setStatus('err_generic', { message: err.message || String(err) }, true);
    }).then(function () {
      view.classList.remove('streaming');
      if (state.busy === ctrl) setBusy(null);
    });
  }

  function titleFrom(text) {
    var s = text.replace(/\s+/g, ' ').trim();
    return s.length > 60 ? s.slice(0, 57) + '\u2026' : s;
  }

  function send(text) {
    if (state.busy) return Promise.resolve();
    text = text.trim();
    if (!text) return Promise.resolve();
    var model = ui.model.value;
    if (!model) { setStatus('err_no_model', null, true); return Promise.resolve(); }
    ui.input.value = '';
    autoGrow();
    var settings = { temperature: parseFloat(ui.temp.value), model: model };
    var ready = state.conv ? Promise.resolve(state.conv) : state.store.create({ title: titleFrom(text), model: model, system: ui.system.value.trim(), settings: settings })
      .then(function (c) {
        c.messages = [];
        if (ui.system.value.trim()) c.messages.push({ role: 'system', content: ui.system.value.trim() });
        state.conv = c;
        ui.title.textContent = c.title;
        c.settings = settings;
        N.save('nuri.lastConversation', c.id);
        return c;
      });
    return ready.then(function (conv) {
      var m = { role: 'user', content: text };
      return state.store.append(conv.id, m).then(function () {
        conv.messages.push(m);
        renderMessages();
        refreshList();
        return generate();
      });
    }).catch(function (e) { ui.input.value = text; showError(e); });
  }

  // rewrite replaces the stored messages (regenerate, edit, system
  // prompt) and re-renders.
  function rewrite(msgs) {
    var conv = state.conv;
    return state.store.replace(conv.id, msgs.map(function (m) {
      return { role: m.role, content: m.content, model: m.model || '', prompt_tokens: m.prompt_tokens || 0, completion_tokens: m.completion_tokens || 0 };
    })).then(function () {
      conv.messages = msgs;
      renderMessages();
    });
  }

  function regenerate() {
    if (state.busy || !state.conv) return;
    var msgs = state.conv.messages.slice();
    while (msgs.length && msgs[msgs.length - 1].role === 'assistant') msgs.pop();
    rewrite(msgs).then(generate, showError);
  }

  function editMessage(art, index) {
    if (state.busy) return;
    var m = state.conv.messages[index];
    var body = art.querySelector('.msg-body');
    var actions = art.querySelector('.msg-actions');
    actions.hidden = true;
    var ta = el('textarea', { class: 'edit-input', 'aria-label': t('edit_label'), rows: '3' });
    ta.value = m.content;
    var save = el('button', { type: 'button', class: 'btn primary' }, t('save_send'));
    var cancel = el('button', { type: 'button', class: 'btn' }, t('cancel'));
    body.textContent = '';
    body.appendChild(ta);
    body.appendChild(el('div', { class: 'edit-buttons' }, save, cancel));
    ta.focus();
    cancel.addEventListener('click', renderMessages);
    function submit() {
      var text = ta.value.trim();
      if (!text) return;
      var msgs = state.conv.messages.slice(0, index);
      msgs.push({ role: 'user', content: text });
      rewrite(msgs).then(generate, showError);
    }
    save.addEventListener('click', submit);
    ta.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); renderMessages(); }
    });
  }

  // translate asks the model for a Korean↔English translation of one
  // message and shows it under the message; it is not saved.
  function translate(art, text) {
    var model = ui.model.value;
    if (!model) { setStatus('err_no_model', null, true); return; }
    var box = art.querySelector('.translation');
    if (box) box.remove();
    var content = el('div', { class: 'msg-body' });
    box = el('section', { class: 'translation', 'aria-label': t('translation') }, el('div', { class: 'translation-title' }, t('translation')), content);
    art.appendChild(box);
    content.appendChild(el('p', { class: 'muted' }, t('translating')));
    var ctrl = new AbortController();
    stream({
      model: model, temperature: 0.2, messages: [
        { role: 'system', content: 'You are a translator. If the text is in Korean, translate it into natural English. Otherwise translate it into natural Korean. Keep Markdown formatting and code unchanged. Reply with the translation only.' },
        { role: 'user', content: text }
      ]
    }, ctrl.signal, function (s) { renderMarkdown(content, s); }).then(function (res) {
      renderMarkdown(content, res.text || '');
    }, function (err) {
      content.textContent = '';
      content.appendChild(el('p', { class: 'error', role: 'alert' }, t('err_generic', { message: err.message || String(err) })));
    });
  }

  // ---- models ----

  function loadModels() {
    return fetch('/v1/models', { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (j) {
        state.models = (j.data || []).map(function (m) { return m.id; }).filter(Boolean);
      }, function (e) {
        state.models = [];
        setStatus('err_models', { message: e.message }, true);
      })
      .then(function () {
        ui.model.textContent = '';
        if (!state.models.length) ui.model.appendChild(el('option', { value: '' }, t('no_models')));
        state.models.forEach(function (id) { ui.model.appendChild(el('option', { value: id }, id)); });
        var last = N.load('nuri.model');
        if (last && state.models.indexOf(last) >= 0) ui.model.value = last;
      });
  }

  // ---- input, shortcuts ----

  function autoGrow() {
    ui.input.style.height = 'auto';
    ui.input.style.height = Math.min(ui.input.scrollHeight, 240) + 'px';
  }

  function wire() {
    ui.form.addEventListener('submit', function (e) { e.preventDefault(); send(ui.input.value); });
    ui.input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(ui.input.value); }
      if (e.key === 'ArrowUp' && !ui.input.value && state.conv) {
        var i = lastIndex('user');
        var art = i >= 0 && ui.messages.querySelector('article[data-index="' + i + '"]');
        if (art) { e.preventDefault(); editMessage(art, i); }
      }
    });
    ui.input.addEventListener('input', autoGrow);
    ui.stop.addEventListener('click', function () { if (state.busy) state.busy.abort(); });
    ui.newChat.addEventListener('click', function () { newChat(); closeSidebar(); });
    var timer = 0;
    ui.search.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(refreshList, 200);
    });
    ui.model.addEventListener('change', function () {
      N.save('nuri.model', ui.model.value);
      if (state.conv) {
        var s = convSettings(state.conv);
        s.model = ui.model.value;
        saveConvSettings(s);
      }
    });
    ui.settingsBtn.addEventListener('click', function () {
      var open = ui.settings.hidden;
      ui.settings.hidden = !open;
      ui.settingsBtn.setAttribute('aria-expanded', open ? 'true' : 'false');
      if (open) ui.system.focus();
    });
    ui.temp.addEventListener('input', function () {
      setTemperature(ui.temp.value);
      var v = parseFloat(ui.temp.value);
      N.save('nuri.temperature', String(v));
    });
    // Saved with the conversation once the slider is let go.
    ui.temp.addEventListener('change', function () {
      if (state.conv) {
        var s = convSettings(state.conv);
        s.temperature = parseFloat(ui.temp.value);
        saveConvSettings(s);
      }
    });
    ui.system.addEventListener('change', function () {
      if (!state.conv || state.busy) return;
      var sys = ui.system.value.trim();
      var msgs = state.conv.messages.filter(function (m) { return m.role !== 'system'; });
      if (sys) msgs.unshift({ role: 'system', content: sys });
      rewrite(msgs).then(function () { setStatus('saved'); }, showError);
    });
    ui.openSidebar.addEventListener('click', openSidebar);
    ui.closeSidebar.addEventListener('click', closeSidebar);
    ui.backdrop.addEventListener('click', closeSidebar);
    ui.helpBtn.addEventListener('click', function () { ui.help.showModal(); });
    ui.helpClose.addEventListener('click', function () { ui.help.close(); });

    document.addEventListener('keydown', function (e) {
      var mod = e.ctrlKey || e.metaKey;
      if (e.key === 'Escape') {
        if (state.busy) { e.preventDefault(); state.busy.abort(); return; }
        closeSidebar();
        return;
      }
      if (mod && e.shiftKey && (e.key === 'O' || e.key === 'o')) { e.preventDefault(); newChat(); return; }
      if (mod && !e.shiftKey && (e.key === 'k' || e.key === 'K')) {
        e.preventDefault();
        if (window.matchMedia('(max-width: 760px)').matches) openSidebar();
        ui.search.focus();
        return;
      }
      if (mod && e.shiftKey && (e.key === 'L' || e.key === 'l')) { e.preventDefault(); N.setLang(N.lang === 'ko' ? 'en' : 'ko'); return; }
      if (mod && e.key === '/') { e.preventDefault(); if (ui.help.open) ui.help.close(); else ui.help.showModal(); }
    });
    document.addEventListener('nuri:lang', function () {
      if (!state.conv) ui.title.textContent = t('new_chat');
      renderList();
      if (!state.busy) renderMessages();
      if (!state.models.length) loadModels();
      setStatus(lastStatus.key, lastStatus.vars, lastStatus.isError);
    });
  }

  function start() {
    wire();
    setTemperature(defaultTemp());
    N.api('GET', '/api/me').then(function (me) {
      state.me = me;
      state.store = me.storage === 'browser' ? browserStore : serverStore;
      document.body.setAttribute('data-storage', me.storage);
      return Promise.all([loadModels(), refreshList()]);
    }).then(function () {
      var last = N.load('nuri.lastConversation');
      var known = state.convs.some(function (c) { return c.id === last; });
      if (known) return openConversation(last);
      newChat();
    }).catch(showError).then(function () {
      document.body.setAttribute('data-ready', 'true');
    });
  }

  start();
})();
