// /docs: Swagger UI from this service's own copy (console/docs_pages.py), with the settings that keep
// it accessible (axe-core in tests/browser/test_api_docs.py).
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    // Deep links put a link inside each operation's header button (nested interactive controls).
    deepLinking: false,
    showExtensions: true,
    showCommonExtensions: true,
    // The highlighting theme's colours are too faint on its dark background (axe: color-contrast).
    syntaxHighlight: false,
    // The validator badge asks swagger.io to check the document: not from here.
    validatorUrl: null
  });
  // What Swagger UI's own markup lacks, mended as it renders (operations and dialogs appear as they
  // open, so new elements are watched):
  // - code samples and answers scroll inside their box: a reader without a mouse must be able to reach
  //   them (tabindex) to scroll them;
  // - the dialog's close button has no name;
  // - a few buttons are named with words other than the ones they show (Authorize is "Apply
  //   credentials"): their name starts with what they show, as speech input expects.
  function mend(element) {
    if (element.matches("pre.microlight:not([tabindex])")) {
      element.setAttribute("tabindex", "0");
    } else if (element.matches("button.close-modal:not([aria-label])")) {
      element.setAttribute("aria-label", "Close this dialog");
    } else if (element.matches("button[aria-label]")) {
      var shown = element.textContent.trim();
      var label = element.getAttribute("aria-label");
      if (shown && label.toLowerCase().indexOf(shown.toLowerCase()) < 0) {
        element.setAttribute("aria-label", shown + ": " + label.charAt(0).toLowerCase() + label.slice(1));
      }
    }
  }
  var SELECTOR = "pre.microlight, button.close-modal, button[aria-label]";
  new MutationObserver(function (changes) {
    for (var i = 0; i < changes.length; i++) {
      var change = changes[i];
      if (change.type === "attributes") {
        // A button whose name changed with what it shows (Authorize becomes Logout).
        mend(change.target);
        continue;
      }
      for (var j = 0; j < change.addedNodes.length; j++) {
        var node = change.addedNodes[j];
        if (node.nodeType !== 1) {
          continue;
        }
        if (node.matches(SELECTOR)) {
          mend(node);
        }
        var inside = node.querySelectorAll(SELECTOR);
        for (var k = 0; k < inside.length; k++) {
          mend(inside[k]);
        }
      }
    }
  }).observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ["aria-label"] });
})();
