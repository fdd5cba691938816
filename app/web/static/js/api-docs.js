// Swagger UI for the register's OpenAPI document, served from our own static files.
(function () {
  'use strict';
  var container = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({
    url: container.dataset.specUrl,
    domNode: container,
    deepLinking: false,  // a link inside the expand button would nest two controls (WCAG)
    presets: [SwaggerUIBundle.presets.apis],
  });
})();
