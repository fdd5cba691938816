// Puts a numbered pin at every BPMN element a comment points at. A pin is a button: it opens the
// comment's thread, scrolls it into view and moves the focus there. The pins come from
// <script type="application/json" id="kommentar-pins"> (written by _kommentare.html); the viewer
// from diagram.js, which announces it with the event 'diagram:ready'.
(function () {
  'use strict';

  var source = document.getElementById('kommentar-pins');
  if (!source) { return; }
  var pins = JSON.parse(source.textContent);
  var PIN_SPACING = 28;
  var HIGHLIGHT = 'comment--gezeigt';

  function openEnclosingDetails(node) {
    for (var element = node.parentElement; element; element = element.parentElement) {
      if (element.tagName === 'DETAILS') { element.open = true; }
    }
  }

  function showComment(targetId) {
    var target = document.getElementById(targetId);
    if (!target) { return; }
    openEnclosingDetails(target);
    document.querySelectorAll('.' + HIGHLIGHT).forEach(function (element) {
      element.classList.remove(HIGHLIGHT);
    });
    target.classList.add(HIGHLIGHT);
    target.scrollIntoView({ block: 'center' });
    target.focus({ preventScroll: true });
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, '', '#' + targetId);
    }
  }

  function pinButton(pin) {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'comment-pin';
    button.textContent = String(pin.number);
    button.setAttribute('aria-label', pin.label);
    button.title = pin.label;
    button.addEventListener('click', function (event) {
      event.stopPropagation();
      showComment(pin.target);
    });
    return button;
  }

  function addPins(container, viewer) {
    var overlays = viewer.get('overlays');
    var registry = viewer.get('elementRegistry');
    var perElement = {};
    pins.forEach(function (pin) {
      if (!registry.get(pin.element)) { return; }  // e.g. an element without a shape
      var index = perElement[pin.element] || 0;
      perElement[pin.element] = index + 1;
      overlays.add(pin.element, 'kommentar', {
        position: { top: -12, right: 12 + index * PIN_SPACING },
        html: pinButton(pin)
      });
    });
    // The pins are controls: the diagram is a group of them now, no longer one opaque image.
    container.setAttribute('role', 'group');
    container.dataset.pins = 'ready';
  }

  document.querySelectorAll('[data-bpmn-url]').forEach(function (container) {
    if (container.bpmnViewer) {
      addPins(container, container.bpmnViewer);
      return;
    }
    container.addEventListener('diagram:ready', function (event) {
      addPins(container, event.detail.viewer);
    }, { once: true });
  });
})();
