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

// Alerts: the header's unread count, kept live through server-sent events; on the
// alerts page, new alerts are added at the top of the list as they arrive. The stream
// resumes after the last event it delivered (Last-Event-ID), so nothing is missed.
(function () {
  "use strict";
  var badge = document.getElementById("alert-count");
  if (!badge || !window.EventSource || !window.fetch) { return; }
  var unread = 0;
  function show() {
    badge.textContent = String(unread);
    badge.hidden = unread === 0;
    var heading = document.getElementById("alerts-unread");
    if (heading) { heading.textContent = String(unread); }
  }
  function add(alert) {
    var list = document.getElementById("alert-list");
    if (!list || list.dataset.live !== "1" || document.getElementById("alert-" + alert.seq)) { return; }
    var item = document.createElement("li");
    item.className = "alert unread";
    item.id = "alert-" + alert.seq;
    item.dataset.seq = String(alert.seq);
    var score = document.createElement("span");
    score.className = "score";
    score.textContent = alert.score + " %";
    var firm = document.createElement("a");
    firm.href = "/console/firms/" + encodeURIComponent(alert.company_id);
    firm.textContent = alert.company_name;
    var listing = document.createElement("a");
    listing.href = "/console/opportunities/" + encodeURIComponent(alert.opportunity_id);
    listing.textContent = alert.opportunity_title;
    item.append(score, " ", firm, " ← ", listing);
    if (alert.reason) {
      var reason = document.createElement("span");
      reason.className = "meta";
      reason.textContent = " — " + alert.reason;
      item.append(reason);
    }
    var state = document.createElement("span");
    state.className = "meta state";
    state.textContent = " " + list.dataset.unreadLabel + " ";
    var form = document.createElement("form");
    form.method = "post";
    form.action = "/console/alerts/read";
    form.className = "inline";
    [["csrf", list.dataset.csrf], ["seq", String(alert.seq)], ["back", "/console/alerts"]].forEach(function (pair) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = pair[0];
      input.value = pair[1];
      form.append(input);
    });
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "secondary";
    button.dataset.action = "mark-read";
    button.textContent = list.dataset.markLabel;
    form.append(button);
    item.append(state, form);
    list.insertBefore(item, list.firstChild);
    var none = document.getElementById("alerts-none");
    if (none) { none.hidden = true; }
    var through = document.getElementById("alerts-through");
    if (through && Number(through.value) < alert.seq) { through.value = String(alert.seq); }
  }
  fetch("/console/alerts/summary", { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (summary) {
      if (!summary) { return; }
      unread = summary.unread_count;
      show();
      var source = new EventSource("/console/alerts/stream?after=" + summary.last_seq);
      source.addEventListener("alert", function (event) {
        var alert = JSON.parse(event.data);
        unread += 1;
        show();
        add(alert);
      });
    })
    .catch(function () {});
})();
