// Filters a list as the person types: <input data-filter-list="ID"> and <li data-filter-text="…">.
// Without JavaScript the search form works as a normal GET request.
(function () {
  'use strict';
  document.querySelectorAll('[data-filter-list]').forEach(function (input) {
    var list = document.getElementById(input.dataset.filterList);
    if (!list) { return; }
    input.addEventListener('input', function () {
      var needle = input.value.trim().toLowerCase();
      list.querySelectorAll('[data-filter-text]').forEach(function (item) {
        item.hidden = needle !== '' && item.dataset.filterText.indexOf(needle) === -1;
      });
    });
  });
})();
