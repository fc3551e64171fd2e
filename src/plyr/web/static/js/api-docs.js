// /docs: Swagger UI over this instance's OpenAPI document. A file rather than an inline
// script, so the page's Content-Security-Policy needs no exception.
const { SwaggerUIBundle } = /** @type {any} */ (window);
SwaggerUIBundle({
  url: document.body.dataset.openapi,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
