// The browser editor: loads the latest revision into the bpmn-js Modeler and saves the diagram as a
// new draft revision. Data comes from <script type="application/json" id="editor-daten">. A save
// that conflicts with a newer revision keeps the diagram here and offers it as a download. The texts
// come translated from the data-text-* attributes of #editor-canvas.
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('editor-daten').textContent);
  var container = document.getElementById('editor-canvas');
  var form = document.getElementById('editor-form');
  var message = document.getElementById('editor-nachricht');
  var notice = document.getElementById('editor-meldung');
  var failure = document.getElementById('editor-fehler');
  var lintList = document.getElementById('hinweise-liste');
  var lintEmpty = document.getElementById('hinweise-leer');
  var lintState = document.getElementById('hinweise-stand');
  var helpers = window.Musterregister;
  var modeler = new BpmnJS({ container: container });

  function say(name, values) {
    return helpers.say(container, name, values);
  }

  function paragraph(text) {
    var element = document.createElement('p');
    element.className = 'kern-body';
    element.textContent = text;
    return element;
  }

  function link(text, href, download) {
    var anchor = document.createElement('a');
    anchor.className = 'kern-link';
    anchor.href = href;
    anchor.textContent = text;
    if (download) { anchor.download = download; }
    return anchor;
  }

  function alertBox(target, kind, parts) {
    target.textContent = '';
    var box = document.createElement('div');
    box.className = 'kern-alert kern-alert--' + kind;
    var body = document.createElement('div');
    body.className = 'kern-alert__body';
    parts.forEach(function (part) { body.appendChild(part); });
    box.appendChild(body);
    target.appendChild(box);
  }

  function showFailure(parts) {
    notice.textContent = '';
    alertBox(failure, 'danger', parts);
  }

  function linkLine(links) {
    var line = document.createElement('p');
    line.className = 'kern-body';
    links.forEach(function (anchor, index) {
      if (index) { line.appendChild(document.createTextNode(' · ')); }
      line.appendChild(anchor);
    });
    return line;
  }

  function saved(result) {
    form.elements.basis.value = String(result.number);
    message.value = '';
    failure.textContent = '';
    var parts = [
      paragraph(say('textSaved', { number: result.number })),
      linkLine([
        link(say('textToModel'), result.modelUrl),
        link(say('textCompare'), result.compareUrl)
      ])
    ];
    if (!result.valid) {
      parts.push(paragraph(say('textInvalid', {
        problems: result.validation.map(function (issue) { return issue.message; }).join(' ')
      })));
    }
    alertBox(notice, result.valid ? 'success' : 'warning', parts);
    lintState.textContent = say('textStateSaved', { number: result.number });
    helpers.showLint(modeler, result.lint, lintList, lintEmpty);
  }

  function conflict(detail, xml) {
    var download = URL.createObjectURL(new Blob([xml], { type: 'application/xml' }));
    var base = form.elements.basis.value;
    showFailure([
      paragraph(say('textNotSaved', { reason: detail })),
      paragraph(say('textConflict')),
      linkLine([
        link(say('textDownload'), download, say('textDownloadName', { time: Date.now() })),
        link(say('textChangedSince', { number: base }), data.compareUrl + '?alt=' + encodeURIComponent(base)),
        link(say('textReopen'), window.location.pathname)
      ])
    ]);
  }

  function answer(response, xml) {
    return response.json().catch(function () { return {}; }).then(function (body) {
      if (response.status === 201) { saved(body); return; }
      if (response.status === 409) { conflict(body.detail || '', xml); return; }
      var problems = body.errors ? Object.values(body.errors).join(' ') : '';
      var reason = body.detail || body.title || say('textHttpError', { status: response.status });
      showFailure([paragraph(say('textNotSaved', { reason: reason + ' ' + problems }))]);
    });
  }

  function save(event) {
    event.preventDefault();
    if (!message.value.trim()) {
      showFailure([paragraph(say('textMessageMissing'))]);
      message.setAttribute('aria-invalid', 'true');
      message.focus();
      return;
    }
    message.removeAttribute('aria-invalid');
    var button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    modeler.saveXML({ format: true }).then(function (result) {
      var body = new FormData(form);
      body.set('xml', result.xml);
      return fetch(data.saveUrl, {
        method: 'POST', body: body, credentials: 'same-origin', headers: { Accept: 'application/json' }
      }).then(function (response) { return answer(response, result.xml); });
    }).catch(function () {
      showFailure([paragraph(say('textUnreachable'))]);
    }).then(function () { button.disabled = false; });
  }

  // Lint-as-you-go on request: the server checks the current diagram without storing it.
  function check() {
    var button = document.getElementById('jetzt-pruefen');
    button.disabled = true;
    modeler.saveXML().then(function (result) {
      var body = new FormData();
      body.set('csrf_token', form.elements.csrf_token.value);
      body.set('xml', result.xml);
      return fetch(data.checkUrl, {
        method: 'POST', body: body, credentials: 'same-origin', headers: { Accept: 'application/json' }
      });
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          throw new Error(body.detail || say('textHttpError', { status: response.status }));
        }
        var time = new Date().toLocaleTimeString('de-DE', { hour: '2-digit', minute: '2-digit' });
        lintState.textContent = say(body.valid ? 'textChecked' : 'textCheckedInvalid', { time: time });
        helpers.showLint(modeler, body.lint, lintList, lintEmpty);
      });
    }).catch(function (error) {
      showFailure([paragraph(say('textCheckFailed', { reason: error.message }))]);
    }).then(function () { button.disabled = false; });
  }

  document.getElementById('jetzt-pruefen').addEventListener('click', check);

  helpers.loadXml(data.diagramUrl)
    .then(function (xml) { return modeler.importXML(xml); })
    .then(function () {
      modeler.get('canvas').zoom('fit-viewport', 'auto');
      var status = container.querySelector('.diagram__status');
      if (status) { status.remove(); }
      helpers.showLint(modeler, data.lint, lintList, lintEmpty);
      container.bpmnModeler = modeler;  // for tests and additions
      container.bpmnViewer = modeler;  // comment-pins.js puts the comments' pins on it
      container.dataset.state = 'ready';
      container.dispatchEvent(new CustomEvent('diagram:ready', { detail: { viewer: modeler } }));
    })
    .catch(function () {
      container.dataset.state = 'error';
      showFailure([paragraph(say('textLoadFailed'))]);
    });

  form.addEventListener('submit', save);
})();
