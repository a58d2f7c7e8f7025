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
    item.className = "inbox-item unread";
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
    if (alert.travel) {
      var travel = document.createElement("span");
      travel.className = "meta travel";
      travel.textContent = " · " + alert.travel;
      item.append(travel);
    }
    if (alert.travel_closed) {
      var closed = document.createElement("span");
      closed.className = "meta travel-closed";
      closed.setAttribute("role", "note");
      closed.textContent = " ⚠ " + alert.travel_closed;
      item.append(closed);
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

// The map (/console/map): a tooltip that follows the pointer, clusters that fan their
// records out on click (Escape or a second click folds them), print, and PNG export by
// drawing the SVG onto a canvas (nothing leaves the browser).
(function () {
  "use strict";
  var figure = document.getElementById("map");
  var svg = figure && figure.querySelector("svg.pyred-map");
  if (!svg) { return; }
  var NS = "http://www.w3.org/2000/svg";

  var tip = document.createElement("div");
  tip.className = "map-tip";
  tip.hidden = true;
  figure.appendChild(tip);
  function titleOf(node) {
    var t = node.querySelector(":scope > title");
    return t ? t.textContent : "";
  }
  svg.addEventListener("pointermove", function (event) {
    var target = event.target.closest(".marker, .cluster, .crossing, .region");
    if (!target) { tip.hidden = true; return; }
    tip.textContent = titleOf(target);
    var box = figure.getBoundingClientRect();
    tip.style.left = (event.clientX - box.left + 14) + "px";
    tip.style.top = (event.clientY - box.top + 14) + "px";
    tip.hidden = false;
  });
  svg.addEventListener("pointerleave", function () { tip.hidden = true; });

  function fold(cluster) {
    var id = cluster.dataset.cluster;
    svg.querySelectorAll('.marker[data-cluster="' + id + '"]').forEach(function (m) {
      m.setAttribute("display", "none");
      m.removeAttribute("transform");
    });
    svg.querySelectorAll('line[data-leader="' + id + '"]').forEach(function (l) { l.remove(); });
    cluster.classList.remove("open");
    cluster.setAttribute("aria-expanded", "false");
  }
  function unfold(cluster) {
    var id = cluster.dataset.cluster;
    var cx = parseFloat(cluster.dataset.x), cy = parseFloat(cluster.dataset.y);
    var members = svg.querySelectorAll('.marker[data-cluster="' + id + '"]');
    var radius = 22 + members.length * 3.2;
    var markers = svg.getElementById("markers");
    members.forEach(function (m, i) {
      var angle = -Math.PI / 2 + 2 * Math.PI * i / members.length;
      var x = cx + radius * Math.cos(angle), y = cy + radius * Math.sin(angle);
      var line = document.createElementNS(NS, "line");
      line.setAttribute("x1", cx); line.setAttribute("y1", cy);
      line.setAttribute("x2", x); line.setAttribute("y2", y);
      line.setAttribute("stroke", "#555"); line.setAttribute("stroke-width", "1");
      line.dataset.leader = id;
      markers.insertBefore(line, markers.firstChild);
      m.setAttribute("transform", "translate(" + (x - parseFloat(m.dataset.x)).toFixed(1) + " " + (y - parseFloat(m.dataset.y)).toFixed(1) + ")");
      m.removeAttribute("display");
      markers.appendChild(m);
    });
    cluster.classList.add("open");
    cluster.setAttribute("aria-expanded", "true");
  }
  function toggle(cluster) {
    if (cluster.classList.contains("open")) { fold(cluster); return; }
    svg.querySelectorAll(".cluster.open").forEach(fold);
    unfold(cluster);
  }
  svg.querySelectorAll(".cluster").forEach(function (cluster) {
    cluster.setAttribute("aria-expanded", "false");
    cluster.addEventListener("click", function () { toggle(cluster); });
    cluster.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); toggle(cluster); }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { svg.querySelectorAll(".cluster.open").forEach(fold); }
  });

  var print = document.getElementById("map-print");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
  var png = document.getElementById("map-png");
  if (png) {
    png.hidden = false;
    png.addEventListener("click", function () {
      var text = new XMLSerializer().serializeToString(svg);
      var image = new Image();
      image.onload = function () {
        var scale = 2;
        var canvas = document.createElement("canvas");
        canvas.width = svg.viewBox.baseVal.width * scale;
        canvas.height = svg.viewBox.baseVal.height * scale;
        var context = canvas.getContext("2d");
        context.fillStyle = "#fff";
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(image, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          var link = document.createElement("a");
          link.href = URL.createObjectURL(blob);
          link.download = png.dataset.filename || "map.png";
          document.body.appendChild(link);
          link.click();
          link.remove();
          setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
        }, "image/png");
      };
      image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(text);
    });
  }
})();
