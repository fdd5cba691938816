// Polls the status of a running register import and moves the progress bar.
(function () {
  'use strict';
  var section = document.querySelector('.import-progress[data-running="true"]');
  if (!section) { return; }
  var bar = section.querySelector('progress');
  var text = section.querySelector('[role="status"]');
  var number = new Intl.NumberFormat('de-DE').format;

  // The texts come translated from the section's data-text-* attributes; {name} takes a value.
  function say(name, values) {
    return (section.dataset[name] || '').replace(/\{(\w+)\}/g, function (match, key) {
      return values[key] !== undefined ? String(values[key]) : match;
    });
  }

  function show(state) {
    bar.max = state.total || 1;
    bar.value = state.processed;
    if (state.status === 'done') {
      text.textContent = say('textDone', {
        created: number(state.created), updated: number(state.updated), unchanged: number(state.unchanged)
      });
    } else if (state.status === 'failed') {
      text.textContent = say('textFailed', { error: state.error });
    } else {
      text.textContent = say('textRunning', { processed: number(state.processed), total: number(state.total) });
    }
    return state.status === 'done' || state.status === 'failed';
  }

  function poll() {
    fetch(section.dataset.statusUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) { return response.json(); })
      .then(function (state) { if (!show(state)) { window.setTimeout(poll, 1000); } })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();
