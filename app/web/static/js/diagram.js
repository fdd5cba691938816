// Renders every element with data-bpmn-url as a BPMN diagram (bpmn-js navigated viewer). The
// element's data-text-error is the (translated) message shown when the diagram cannot be shown.
// Loading and decoding come from bpmn-common.js (some tools export ISO-8859-1).
(function () {
  'use strict';

  function show(container) {
    var status = container.querySelector('.diagram__status');
    var viewer = new BpmnJS({ container: container });
    window.Musterregister.loadXml(container.dataset.bpmnUrl)
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        viewer.get('canvas').zoom('fit-viewport', 'auto');
        if (status) { status.remove(); }
        container.dataset.state = 'ready';
        container.bpmnViewer = viewer;  // for additions such as comment-pins.js
        container.dispatchEvent(new CustomEvent('diagram:ready', { detail: { viewer: viewer } }));
      })
      .catch(function () {
        if (status) { status.textContent = window.Musterregister.say(container, 'textError'); }
        container.dataset.state = 'error';
      });
  }

  document.querySelectorAll('[data-bpmn-url]').forEach(show);
})();
