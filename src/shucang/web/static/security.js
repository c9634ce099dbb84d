/* Behaviour that used to sit in inline handlers, which the Content-Security-Policy (script-src 'self')
   no longer runs: [data-autosubmit] submits its form on change, [data-fullscreen] enters full screen. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) el.form.submit();
  });
  document.addEventListener("click", function (event) {
    var el = event.target && event.target.closest ? event.target.closest("[data-fullscreen]") : null;
    if (el && document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
  });
})();
