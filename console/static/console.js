// Progressive enhancement only: every page works without it.
(function () {
  function wire(root) {
    root.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
      button.hidden = false;
      if (button.dataset.wired) return;
      button.dataset.wired = "1";
      button.addEventListener("click", function () {
        var field = document.getElementById(button.dataset.copy);
        var status = button.parentElement.querySelector(".copied");
        field.select();
        var done = function () { if (status) status.textContent = "Copied."; };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(done, function () {
            if (status) status.textContent = "Select the password and copy it (Ctrl+C).";
          });
        } else {
          document.execCommand("copy");
          done();
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSettle", function (event) { wire(event.target); });
})();
