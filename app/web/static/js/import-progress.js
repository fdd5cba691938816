// Polls the status of a running register import and moves the progress bar.
(function () {
  'use strict';
  var section = document.querySelector('.import-progress[data-running="true"]');
  if (!section) { return; }
  var bar = section.querySelector('progress');
  var text = section.querySelector('[role="status"]');
  var number = new Intl.NumberFormat('de-DE').format;

  function show(state) {
    bar.max = state.total || 1;
    bar.value = state.processed;
    if (state.status === 'done') {
      text.textContent = 'Fertig: ' + number(state.created) + ' neu, ' + number(state.updated) + ' aktualisiert, ' + number(state.unchanged) + ' unverändert.';
    } else if (state.status === 'failed') {
      text.textContent = 'Abgebrochen: ' + state.error;
    } else {
      text.textContent = number(state.processed) + ' von ' + number(state.total) + ' Zeilen …';
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
