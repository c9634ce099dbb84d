/* Starts the vendored Swagger UI on /api/v1/docs (an external file: the CSP runs no inline script). */
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: root.getAttribute("data-openapi"), dom_id: "#swagger-ui", deepLinking: true,
    layout: "BaseLayout", presets: [SwaggerUIBundle.presets.apis] });
});
