// Renders every element with data-bpmn-url as a BPMN diagram (bpmn-js navigated viewer).
// The file is decoded with the encoding its XML declaration names, as some tools export ISO-8859-1.
(function () {
  'use strict';

  function declaredEncoding(bytes) {
    var head = new TextDecoder('ascii').decode(bytes.slice(0, 200));
    var match = /encoding=["']([A-Za-z0-9._-]+)["']/.exec(head);
    return match ? match[1] : 'utf-8';
  }

  function decode(buffer) {
    var bytes = new Uint8Array(buffer);
    try {
      return new TextDecoder(declaredEncoding(bytes)).decode(bytes);
    } catch (error) {
      return new TextDecoder('utf-8').decode(bytes);
    }
  }

  function show(container) {
    var status = container.querySelector('.diagram__status');
    var viewer = new BpmnJS({ container: container });
    fetch(container.dataset.bpmnUrl, { credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) { throw new Error('HTTP ' + response.status); }
        return response.arrayBuffer();
      })
      .then(function (buffer) { return viewer.importXML(decode(buffer)); })
      .then(function () {
        viewer.get('canvas').zoom('fit-viewport', 'auto');
        if (status) { status.remove(); }
        container.dataset.state = 'ready';
        container.bpmnViewer = viewer;  // for additions such as comment-pins.js
        container.dispatchEvent(new CustomEvent('diagram:ready', { detail: { viewer: viewer } }));
      })
      .catch(function () {
        if (status) { status.textContent = 'Das Diagramm konnte nicht angezeigt werden. Die Datei steht unten zum Download bereit.'; }
        container.dataset.state = 'error';
      });
  }

  document.querySelectorAll('[data-bpmn-url]').forEach(show);
})();
