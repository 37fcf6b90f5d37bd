// /docs: Swagger UI (the vendored bundle, loaded before this module as a classic script that
// defines SwaggerUIBundle) on this server's own OpenAPI schema. The settings are FastAPI's.
const root = document.getElementById("swagger-ui");
const { SwaggerUIBundle } = window;

SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  domNode: root,
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null, // no badge fetched from validator.swagger.io
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
