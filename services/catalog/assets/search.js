// Search over events and fields; the index (window.CATALOG_INDEX) ships as a script beside this one,
// so it works from file:// with no request.
(function () {
  var me = document.currentScript, root = (me && me.dataset.root) || "";
  var input = document.getElementById("search"), list = document.getElementById("results");
  var index = window.CATALOG_INDEX || [];
  if (!input || !list) return;
  function show(query) {
    var q = query.trim().toLowerCase();
    list.innerHTML = "";
    if (!q) { list.hidden = true; return; }
    var hits = index.filter(function (e) { return e.text.indexOf(q) !== -1; }).slice(0, 30);
    hits.forEach(function (hit) {
      var li = document.createElement("li"), a = document.createElement("a"), small = document.createElement("small");
      a.href = root + hit.href; a.textContent = hit.label; small.textContent = hit.kind;
      a.appendChild(small); li.appendChild(a); list.appendChild(li);
    });
    if (!hits.length) { var li = document.createElement("li"); li.textContent = "No match"; li.style.padding = ".35rem .8rem"; list.appendChild(li); }
    list.hidden = false;
  }
  input.addEventListener("input", function () { show(input.value); });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") { input.value = ""; show(""); }
    if (ev.key === "Enter") { var first = list.querySelector("a"); if (first) window.location.href = first.href; }
  });
})();
