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
  // Swagger UI's markup, mended for screen readers and keyboards as it renders (axe): its
  // <main> sits inside the page's own (a named region instead: axe still calls the role
  // unusual on <main>, a minor best-practice note, but there is one main landmark), the path in
  // each operation's toggle is a link nested in a button, example values scroll without taking
  // the focus, the responses' regions and a parameter's list of values have no name.
  function mend(root) {
    root.querySelectorAll("main").forEach(function (main) {
      main.setAttribute("role", "region");
      main.setAttribute("aria-label", "API operations");
    });
    root.querySelectorAll(".opblock-summary-control a").forEach(function (link) {
      // Without its href the path is plain text: the button itself toggles the operation.
      link.removeAttribute("href");
    });
    root.querySelectorAll(".microlight").forEach(function (code) {
      if (!code.hasAttribute("tabindex")) code.setAttribute("tabindex", "0");
    });
    root.querySelectorAll("table[role=region]:not([aria-label])").forEach(function (table) {
      var block = table.closest(".opblock");
      var method = block && block.querySelector(".opblock-summary-method");
      var path = block && block.querySelector(".opblock-summary-path");
      var name = method && path ? method.textContent + " " + path.getAttribute("data-path") : table.id;
      table.setAttribute("aria-label", "Responses of " + name);
    });
    root.querySelectorAll("tr[data-param-name] select:not([aria-label])").forEach(function (select) {
      var row = select.closest("tr[data-param-name]");
      select.setAttribute("aria-label", row.getAttribute("data-param-name"));
    });
  }
  var pending = false;
  new MutationObserver(function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      mend(element);
    });
  }).observe(element, { childList: true, subtree: true });

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
