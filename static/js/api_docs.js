// The API documentation page (templates/api/docs.html): Swagger UI on the app's schema.
// "Try it out" sends the session cookie; a change also needs the CSRF token, read from the
// csrftoken cookie (CSRF_COOKIE_HTTPONLY is off for the autosave script too).
(function () {
  "use strict";
  var element = document.getElementById("swagger-ui");
  if (!element || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  window.SwaggerUIBundle({
    url: element.getAttribute("data-schema-url"),
    domNode: element,
    deepLinking: true,
    // No request to an outside validator (swagger.io): everything stays in the app.
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor: function (request) {
      var method = (request.method || "GET").toUpperCase();
      if (["GET", "HEAD", "OPTIONS"].indexOf(method) === -1) {
        request.headers["X-CSRFToken"] = csrfToken();
      }
      return request;
    },
  });
})();
