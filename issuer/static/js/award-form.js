// Award badge (studio/award_form.html): filter the list of badges by name as you type.
(function () {
  var filter = document.getElementById("badge-filter");
  var list = document.getElementById("badge-choices");
  var empty = document.getElementById("badge-filter-empty");
  if (!filter || !list) return;

  function applyFilter() {
    var wanted = filter.value.trim().toLowerCase();
    var shown = 0;
    list.querySelectorAll("li").forEach(function (item) {
      var match = !wanted || item.dataset.name.indexOf(wanted) !== -1;
      item.hidden = !match;
      if (match) shown += 1;
    });
    empty.hidden = shown !== 0;
  }

  filter.addEventListener("input", applyFilter);
  // Text typed before this deferred script ran (or kept on going back) filters at once.
  applyFilter();
})();
