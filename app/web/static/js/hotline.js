// 115-Suche: answers while the agent types, used with the keyboard alone.
//   ↓ ↑     move through the hits (combobox with a listbox; focus stays in the input)
//   Enter   open the answer card of the selected hit (or the first)
//   C       in the open card: copy a plain-text summary to the clipboard
//   Esc     in the card: back to the input; in the input: clear everything
// Without JavaScript the form submits to /suche. German texts come from data-text-* attributes.
(function () {
  'use strict';

  var DEBOUNCE_MS = 120;
  var PER_PAGE = 8;
  var root = document.querySelector('[data-hotline]');
  if (!root || !window.fetch || !window.AbortController) { return; }

  var input = document.getElementById('hotline-q');
  var form = input.form;
  var list = document.getElementById('hotline-treffer');
  var status = document.getElementById('hotline-status');
  var card = document.getElementById('hotline-karte');
  var copied = document.getElementById('hotline-kopiert');
  var copyButton = document.getElementById('hotline-kopieren');
  var suggestion = document.getElementById('hotline-vorschlag');
  var suggestionWord = document.getElementById('hotline-vorschlag-wort');
  var texts = root.dataset;
  var state = {
    hits: [], active: -1, shown: null, sequence: 0, controller: null, timer: null, openWhenReady: false
  };

  function say(name, values) {
    return (texts[name] || '').replace(/\{(\w+)\}/g, function (_match, key) {
      return values && values[key] !== undefined ? String(values[key]) : '';
    });
  }

  // --- asking the search, as the agent types ----------------------------------------------

  function schedule() {
    window.clearTimeout(state.timer);
    state.timer = window.setTimeout(searchNow, DEBOUNCE_MS);
  }

  function searchNow() {
    window.clearTimeout(state.timer);
    state.timer = null;
    if (state.controller) { state.controller.abort(); }
    state.controller = null;
    var sequence = ++state.sequence;
    var text = input.value;
    if (!text.trim()) { render(null); return; }
    var controller = new AbortController();
    state.controller = controller;
    var params = new URLSearchParams({
      q: text, typing: 'true', facets: 'false', per_page: String(PER_PAGE)
    });
    list.setAttribute('aria-busy', 'true');
    fetch(texts.api + '?' + params.toString(), {
      signal: controller.signal, headers: { Accept: 'application/json' }, credentials: 'same-origin'
    }).then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.json();
    }).then(function (data) {
      if (sequence !== state.sequence) { return; } // an older answer arriving late
      state.controller = null;
      render(data);
    }).catch(function (error) {
      if (error.name === 'AbortError' || sequence !== state.sequence) { return; }
      state.controller = null;
      state.openWhenReady = false;
      list.removeAttribute('aria-busy');
      status.textContent = say('textError');
    });
  }

  function waiting() {
    return state.timer !== null || state.controller !== null;
  }

  // --- the hits -------------------------------------------------------------------------

  function render(data) {
    state.hits = data ? data.hits : [];
    state.active = -1;
    list.textContent = '';
    list.removeAttribute('aria-busy');
    state.hits.forEach(function (hit, index) { list.appendChild(option(hit, index)); });
    var open = state.hits.length > 0;
    list.hidden = !open;
    input.setAttribute('aria-expanded', String(open));
    input.removeAttribute('aria-activedescendant');
    showSuggestion(data && data.did_you_mean);
    status.textContent = data ? summary(data) : '';
    if (state.openWhenReady) {
      state.openWhenReady = false;
      if (open) { openCard(0); }
    }
  }

  function summary(data) {
    if (!data.total) { return say('textNone', { q: data.q }); }
    var parts = [data.total === 1 ? say('textOneHit') : say('textHits', { n: data.total })];
    if (data.total > data.hits.length) {
      parts.push(say('textMore', { n: data.hits.length, total: data.total }));
    }
    if (data.relaxed) { parts.push(say('textRelaxed')); }
    return parts.join(' ');
  }

  function option(hit, index) {
    var item = document.createElement('li');
    item.id = 'hotline-treffer-' + index;
    item.className = 'hotline__hit';
    item.setAttribute('role', 'option');
    item.setAttribute('aria-selected', 'false');
    var title = document.createElement('span');
    title.className = 'hotline__hit-title';
    title.appendChild(highlighted(hit.title_html));
    var meta = document.createElement('span');
    meta.className = 'hotline__hit-meta';
    meta.textContent = [
      hit.kind_label,
      hit.authority && hit.authority.name,
      hit.leika_keys.length ? 'LeiKa ' + hit.leika_keys[0] : ''
    ].filter(Boolean).join(' · ');
    item.appendChild(title);
    item.appendChild(meta);
    item.addEventListener('mousedown', function (event) { event.preventDefault(); });
    item.addEventListener('click', function () { openCard(index); });
    return item;
  }

  // The server escapes titles and marks matches with <mark>; keep only text and <mark> anyway.
  function highlighted(html) {
    var fragment = document.createDocumentFragment();
    var body = new DOMParser().parseFromString('<body>' + html, 'text/html').body;
    Array.prototype.forEach.call(body.childNodes, function (node) {
      if (node.nodeName === 'MARK') {
        var mark = document.createElement('mark');
        mark.textContent = node.textContent;
        fragment.appendChild(mark);
      } else {
        fragment.appendChild(document.createTextNode(node.textContent));
      }
    });
    return fragment;
  }

  function select(index) {
    state.active = index;
    Array.prototype.forEach.call(list.children, function (item, position) {
      item.setAttribute('aria-selected', String(position === index));
    });
    var item = list.children[index];
    if (item) {
      input.setAttribute('aria-activedescendant', item.id);
      item.scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  }

  function move(step) {
    var count = state.hits.length;
    if (!count) { return; }
    var next = state.active + step;
    if (next >= count) { next = 0; }
    if (next < 0) { next = count - 1; }
    select(next);
  }

  function showSuggestion(word) {
    suggestion.hidden = !word;
    suggestionWord.textContent = word || '';
  }

  // --- the answer card ----------------------------------------------------------------------

  function field(name) {
    return card.querySelector('[data-field="' + name + '"]');
  }

  function fillList(element, items, build, empty) {
    element.textContent = '';
    if (!items.length) { items = [null]; }
    items.forEach(function (item) {
      var entry = document.createElement('li');
      if (item === null) {
        entry.className = 'hotline__empty';
        entry.textContent = empty;
      } else {
        build(entry, item);
      }
      element.appendChild(entry);
    });
  }

  function legalBasis(entry, basis) {
    if (basis.url && /^https?:\/\//i.test(basis.url)) {
      var link = document.createElement('a');
      link.className = 'kern-link';
      link.href = basis.url;
      link.textContent = basis.text || basis.url;
      entry.appendChild(link);
    } else {
      entry.textContent = basis.text;
    }
  }

  function plain(entry, text) { entry.textContent = text; }

  function fillCard(hit) {
    var none = say('textNoneGiven');
    field('title').textContent = hit.title;
    field('kind').textContent = [hit.kind_label, hit.ozg && hit.ozg.name ? 'OZG: ' + hit.ozg.name : '']
      .filter(Boolean).join(' · ');
    field('unit').textContent = hit.responsible_unit || none;
    field('authority').textContent = hit.authority ? hit.authority.name : none;
    field('leika').textContent = hit.leika_keys.join(', ') || none;
    field('fees').textContent = hit.fees || none;
    fillList(field('documents'), hit.required_documents, plain, none);
    fillList(field('legal'), hit.legal_bases, legalBasis, none);
    fillList(field('steps'), hit.steps, plain, say('textNoSteps'));
    field('url').href = hit.url;
  }

  function openCard(index) {
    var hit = state.hits[index];
    if (!hit) { return; }
    select(index);
    fillCard(hit);
    state.shown = hit;
    copied.textContent = '';
    card.hidden = false;
    card.focus();
  }

  function openSelected() {
    if (waiting()) {
      state.openWhenReady = true;
      if (state.timer !== null) { searchNow(); }
      return;
    }
    openCard(state.active >= 0 ? state.active : 0);
  }

  function hideCard() {
    card.hidden = true;
    state.shown = null;
    copied.textContent = '';
  }

  function clearAll() {
    window.clearTimeout(state.timer);
    state.timer = null;
    if (state.controller) { state.controller.abort(); }
    state.controller = null;
    state.sequence += 1;
    state.openWhenReady = false;
    input.value = '';
    hideCard();
    render(null);
  }

  // --- copying ------------------------------------------------------------------------------

  function summaryText(hit) {
    var none = say('textNoneGiven');
    var lines = [hit.title];
    lines.push(say('textSummaryUnit') + ': ' + (hit.responsible_unit || none));
    lines.push(say('textSummaryAuthority') + ': ' + (hit.authority ? hit.authority.name : none));
    lines.push(say('textSummaryLeika') + ': ' + (hit.leika_keys.join(', ') || none));
    lines.push(say('textSummaryFees') + ': ' + (hit.fees || none));
    lines.push(say('textSummaryDocuments') + ':');
    (hit.required_documents.length ? hit.required_documents : [none]).forEach(function (item) {
      lines.push('- ' + item);
    });
    lines.push(say('textSummaryLegal') + ':');
    (hit.legal_bases.length ? hit.legal_bases : [{ text: none }]).forEach(function (basis) {
      lines.push('- ' + basis.text + (basis.url ? ' (' + basis.url + ')' : ''));
    });
    if (hit.steps.length) {
      lines.push(say('textSummarySteps') + ':');
      hit.steps.forEach(function (step, index) { lines.push((index + 1) + '. ' + step); });
    }
    lines.push(say('textSummaryLink') + ': ' + new URL(hit.url, window.location.href).href);
    return lines.join('\n');
  }

  function copyWithTextarea(text) {
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'hotline__clipboard';
    document.body.appendChild(area);
    area.select();
    var done = false;
    try { done = document.execCommand('copy'); } catch (_error) { done = false; }
    document.body.removeChild(area);
    card.focus();
    return done;
  }

  function announceCopy(done, hit) {
    copied.textContent = '';
    window.setTimeout(function () {
      copied.textContent = done ? say('textCopied', { title: hit.title }) : say('textCopyFailed');
    }, 30);
  }

  function copyCard() {
    var hit = state.shown;
    if (!hit) { return; }
    var text = summaryText(hit);
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { announceCopy(true, hit); },
        function () { announceCopy(copyWithTextarea(text), hit); }
      );
    } else {
      announceCopy(copyWithTextarea(text), hit);
    }
  }

  // --- keys ---------------------------------------------------------------------------------

  input.addEventListener('input', function () {
    hideCard();
    schedule();
  });

  input.addEventListener('keydown', function (event) {
    if (event.altKey || event.metaKey || event.isComposing) { return; }
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      if (!state.hits.length) { return; }
      event.preventDefault();
      move(event.key === 'ArrowDown' ? 1 : -1);
    } else if (event.key === 'Enter') {
      if (!input.value.trim() || waiting() || state.hits.length) {
        event.preventDefault(); // no hits at all: Enter goes on to the full search page
        if (input.value.trim()) { openSelected(); }
      }
    } else if (event.key === 'Escape') {
      event.preventDefault();
      clearAll();
    }
  });

  card.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') {
      event.preventDefault();
      input.focus();
    } else if ((event.key === 'c' || event.key === 'C') &&
               !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      copyCard();
    }
  });

  form.addEventListener('submit', function (event) {
    if (waiting() || state.hits.length) {
      event.preventDefault();
      openSelected();
    }
  });

  copyButton.addEventListener('click', copyCard);
  suggestionWord.addEventListener('click', function () {
    input.value = suggestionWord.textContent;
    input.focus();
    searchNow();
  });

  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-controls', list.id);
  input.setAttribute('aria-expanded', 'false');
  document.getElementById('hotline-tasten').hidden = false;
  input.setAttribute('aria-describedby', 'hotline-hilfe hotline-tasten');
  if (input.value.trim()) { searchNow(); } // text kept by the browser on "back"
})();
