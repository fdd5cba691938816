// Helpers shared by the viewer (diagram.js), the editor (editor.js) and the visual diff (visual-diff.js):
// loading a diagram in the encoding its XML declaration names, lint markers, focusing an element.
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

  function loadXml(url) {
    return fetch(url, { credentials: 'same-origin' }).then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.arrayBuffer();
    }).then(decode);
  }

  function shapeOf(viewer, id) {
    var element = id && viewer.get('elementRegistry').get(id);
    // the root (a process or collaboration) has no shape to point at
    return element && element.parent ? element : null;
  }

  // Zoom to the element, outline it for a moment and say so to screen readers.
  function focusElement(viewer, id) {
    var element = shapeOf(viewer, id);
    if (!element) { return false; }
    var canvas = viewer.get('canvas');
    canvas.zoom(1);
    canvas.scrollToElement(element, { top: 120, bottom: 120, left: 120, right: 120 });
    canvas.addMarker(element.id, 'element--fokus');
    window.setTimeout(function () { canvas.removeMarker(element.id, 'element--fokus'); }, 2500);
    return true;
  }

  // The page's texts, translated by the template: data-text-<name> attributes on an element;
  // {placeholders} are replaced by values.
  function say(element, name, values) {
    return (element.dataset[name] || '').replace(/\{(\w+)\}/g, function (match, key) {
      return values && values[key] !== undefined ? String(values[key]) : match;
    });
  }

  var SEVERITY_TEXTS = { error: 'textError', warning: 'textWarning', info: 'textInfo' };

  function clearLint(viewer) {
    var overlays = viewer.get('overlays');
    var canvas = viewer.get('canvas');
    overlays.remove({ type: 'lint' });
    viewer.get('elementRegistry').forEach(function (element) {
      canvas.removeMarker(element.id, 'lint--markiert');
    });
  }

  function lintBadge(finding) {
    var badge = document.createElement('span');
    badge.className = 'lint-badge lint-badge--' + (finding.severity || 'info');
    badge.textContent = '!';
    badge.title = finding.message;
    return badge;
  }

  // Markers and "!" overlays at the findings' elements, plus the list with a button per element.
  // The list carries the texts: data-text-error, -warning, -info, -show and -show-element.
  function showLint(viewer, findings, list, empty) {
    clearLint(viewer);
    list.textContent = '';
    findings.forEach(function (finding) {
      var shape = shapeOf(viewer, finding.element_id);
      if (shape) {
        viewer.get('canvas').addMarker(shape.id, 'lint--markiert');
        viewer.get('overlays').add(shape.id, 'lint', {
          position: { top: -10, left: -10 }, html: lintBadge(finding)
        });
      }
      list.appendChild(lintItem(viewer, finding, shape, list));
    });
    empty.hidden = findings.length > 0;
  }

  function lintItem(viewer, finding, shape, list) {
    var item = document.createElement('li');
    var severity = document.createElement('strong');
    severity.textContent = say(list, SEVERITY_TEXTS[finding.severity] || 'textInfo') + ': ';
    item.appendChild(severity);
    item.appendChild(document.createTextNode(finding.message + ' '));
    if (shape) {
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'kern-btn kern-btn--tertiary lint-list__zeigen';
      button.innerHTML = '<span class="kern-label"></span>';
      button.firstChild.textContent = say(list, 'textShow');
      button.setAttribute('aria-label', say(list, 'textShowElement', {
        element: shape.businessObject.name || shape.id
      }));
      button.addEventListener('click', function () { focusElement(viewer, shape.id); });
      item.appendChild(button);
    }
    return item;
  }

  window.Musterregister = {
    loadXml: loadXml, focusElement: focusElement, showLint: showLint, say: say
  };
})();
