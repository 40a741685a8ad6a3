/* Starts Swagger UI for GET /api/v1/docs (kept out of index.html so that
 * the page needs no inline script). "openapi.yaml" resolves to
 * /api/v1/openapi.yaml; the document's relative server URLs (/api/v1,
 * /meet/api/v1) resolve against this page's origin, so "Try it out" calls
 * this meetd. Authorize takes the X-API-KEY of the apiKey scheme. */
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "openapi.yaml",
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null,      /* the default would call validator.swagger.io */
    queryConfigEnabled: false, /* no ?url= or ?configUrl= from the address */
    persistAuthorization: false,
    displayRequestDuration: true
  });
});
