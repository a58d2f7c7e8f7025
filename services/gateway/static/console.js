// Progressive enhancement only: the console works without JavaScript.
// Place autocomplete: fills the <datalist> of inputs marked data-autocomplete.
(function () {
  "use strict";
  document.querySelectorAll("input[data-autocomplete]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    var last = "";
    input.addEventListener("input", function () {
      var prefix = input.value.trim();
      if (prefix.length < 2 || prefix === last) { return; }
      clearTimeout(timer);
      timer = setTimeout(function () {
        last = prefix;
        fetch(input.dataset.autocomplete + "?limit=8&prefix=" + encodeURIComponent(prefix), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { items: [] }; })
          .then(function (body) {
            list.textContent = "";
            body.items.forEach(function (place) {
              var option = document.createElement("option");
              option.value = place.name;
              option.label = place.name + " (" + place.code + ", " + place.region + ")";
              list.appendChild(option);
            });
          })
          .catch(function () {});
      }, 150);
    });
  });
})();
