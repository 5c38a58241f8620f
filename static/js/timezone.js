// Sign-up proposes the browser's time zone instead of UTC. Without JavaScript the list of
// time zones stays as it is (type the first letters of a city to jump to it).
(function () {
  "use strict";
  var select = document.querySelector("select[data-detect-zone]");
  if (!select || select.value !== "UTC") { return; }
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) { return; }
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].value === zone) { select.value = zone; return; }
  }
})();
