// Sign-up proposes the browser's time zone instead of UTC. Without JavaScript the field is a
// text box with a searchable list of every time zone (type a city, pick it from the list).
(function () {
  "use strict";
  var field = document.querySelector("[data-detect-zone]");
  if (!field || (field.value !== "UTC" && field.value !== "")) { return; }
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) { return; }
  var known = field.tagName === "SELECT" ? field.options : (field.list ? field.list.options : []);
  for (var i = 0; i < known.length; i++) {
    if (known[i].value === zone) { field.value = zone; return; }
  }
})();
