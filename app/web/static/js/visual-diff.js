// The visual diff: two bpmn-js viewers (before / after) with synchronised zoom and scroll, the
// differing elements marked (marker class plus a symbol badge, so colour is not the only signal),
// an overlay mode, a switch for layout-only changes, and table buttons that focus an element.
// Data: <script type="application/json" id="vergleich-daten"> (see app/library/visual_diff.py);
// the texts: data-text-* attributes on #vergleich, translated by the template.
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('vergleich-daten').textContent);
  var page = document.getElementById('vergleich');
  var announce = document.getElementById('vergleich-ansage');
  var helpers = window.Musterregister;
  var SYMBOLS = { added: '+', removed: '−', changed: '~', layout: '↔' };
  var containers = {
    old: document.getElementById('diagramm-alt'),
    new: document.getElementById('diagramm-neu')
  };
  var viewers = {
    old: new BpmnJS({ container: containers.old }),
    new: new BpmnJS({ container: containers.new })
  };
  var syncing = false;

  function badge(status) {
    var element = document.createElement('span');
    element.className = 'diff-badge diff-badge--' + status;
    element.textContent = SYMBOLS[status];
    return element;
  }

  function mark(viewer, entry) {
    var shape = viewer.get('elementRegistry').get(entry.id);
    if (!shape || !shape.parent) { return; }
    viewer.get('canvas').addMarker(entry.id, 'diff--' + entry.status);
    viewer.get('overlays').add(entry.id, 'diff-' + entry.status, {
      position: { top: -12, left: -12 }, html: badge(entry.status)
    });
  }

  function unmark(viewer, entry) {
    if (!viewer.get('elementRegistry').get(entry.id)) { return; }
    viewer.get('canvas').removeMarker(entry.id, 'diff--' + entry.status);
    viewer.get('overlays').remove({ element: entry.id, type: 'diff-' + entry.status });
  }

  function markAll(status, show) {
    data.elements.forEach(function (entry) {
      if (entry.status !== status) { return; }
      sidesOf(entry).forEach(function (side) { (show ? mark : unmark)(viewers[side], entry); });
    });
  }

  function showsLayout() {
    return !page.classList.contains('visual-diff--ohne-layout');
  }

  function sidesOf(entry) {
    return entry.side === 'both' ? ['old', 'new'] : [entry.side];
  }

  function follow(source, target) {
    viewers[source].on('canvas.viewbox.changed', function (event) {
      if (syncing) { return; }
      syncing = true;
      viewers[target].get('canvas').viewbox(event.viewbox);
      syncing = false;
    });
  }

  function load(side, url) {
    var container = containers[side];
    return helpers.loadXml(url)
      .then(function (xml) { return viewers[side].importXML(xml); })
      .then(function () {
        var status = container.querySelector('.diagram__status');
        if (status) { status.remove(); }
      });
  }

  function ready() {
    ['added', 'removed', 'changed'].forEach(function (status) { markAll(status, true); });
    markAll('layout', showsLayout());
    viewers.new.get('canvas').zoom('fit-viewport', 'auto');
    viewers.old.get('canvas').viewbox(viewers.new.get('canvas').viewbox());
    follow('old', 'new');
    follow('new', 'old');
    page.dataset.state = 'ready';
  }

  function relayout() {
    ['old', 'new'].forEach(function (side) { viewers[side].get('canvas').resized(); });
    viewers.old.get('canvas').viewbox(viewers.new.get('canvas').viewbox());
  }

  function focusEntry(button) {
    var id = button.dataset.element;
    var sides = button.dataset.side === 'both' ? ['new', 'old'] : [button.dataset.side];
    var shown = sides.filter(function (side) { return helpers.focusElement(viewers[side], id); });
    page.querySelector('.vergleich-flaechen').scrollIntoView({ block: 'nearest' });
    var text = !shown.length ? 'textNoShape'
      : shown.length === 2 ? 'textShownBoth' : shown[0] === 'old' ? 'textShownOld' : 'textShownNew';
    announce.textContent = helpers.say(page, text, { element: button.textContent.trim() });
  }

  page.querySelectorAll('input[name="ansicht"]').forEach(function (radio) {
    radio.addEventListener('change', function () {
      page.classList.toggle('visual-diff--ueberlagert', radio.value === 'ueberlagert' && radio.checked);
      relayout();
    });
  });
  document.getElementById('layout-zeigen').addEventListener('change', function (event) {
    page.classList.toggle('visual-diff--ohne-layout', !event.target.checked);
    if (page.dataset.state === 'ready') { markAll('layout', event.target.checked); }
  });
  page.querySelectorAll('.vergleich-zeigen').forEach(function (button) {
    button.addEventListener('click', function () { focusEntry(button); });
  });

  Promise.all([load('old', data.oldUrl), load('new', data.newUrl)])
    .then(ready)
    .catch(function () {
      page.dataset.state = 'error';
      announce.textContent = helpers.say(page, 'textError');
    });
})();
