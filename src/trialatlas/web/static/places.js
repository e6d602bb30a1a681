// Type-ahead for place fields: an <input data-suggest="/api/places" list="…"> fills its <datalist>
// with the offline gazetteer's places starting with what was typed. Same host only; nothing else leaves.
(function () {
  "use strict";
  var timer = null;
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.getAttribute || !input.getAttribute("data-suggest")) { return; }
    var list = document.getElementById(input.getAttribute("list"));
    var typed = input.value.trim();
    if (!list || typed.length < 2) { return; }
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(typed), {credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (places) {
          list.replaceChildren.apply(list, places.map(function (place) {
            var option = document.createElement("option");
            option.value = place;
            return option;
          }));
        })
        .catch(function () { /* no suggestions: the field still takes any text */ });
    }, 150);
  });
})();
