// The course form's stage rows (studio/course_form.html): add, move and remove stages.
// Without JavaScript the form offers a few blank rows instead.
(function () {
  var list = document.getElementById("stages");
  var template = document.getElementById("stage-template");
  var add = document.getElementById("add-stage");

  function rows() { return Array.prototype.slice.call(list.children); }

  function renumber() {
    var all = rows();
    all.forEach(function (row, index) {
      row.querySelectorAll("[name], [id]").forEach(function (element) {
        ["name", "id"].forEach(function (attribute) {
          var value = element.getAttribute(attribute);
          if (value) element.setAttribute(attribute, value.replace(/^stages-[^-]+-/, "stages-" + index + "-"));
        });
      });
      row.querySelectorAll("[data-aria]").forEach(function (element) {
        element.setAttribute("aria-label", element.getAttribute("data-aria").replace("#", index + 1));
      });
      row.querySelector("[data-action=up]").disabled = index === 0;
      row.querySelector("[data-action=down]").disabled = index === all.length - 1;
    });
  }

  function addRow() {
    var row = template.content.firstElementChild.cloneNode(true);
    row.querySelector(".stage-tools").hidden = false;
    list.appendChild(row);
    renumber();
    return row;
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button) { return; }
    var row = button.closest("li");
    var action = button.getAttribute("data-action");
    if (action === "up" && row.previousElementSibling) {
      list.insertBefore(row, row.previousElementSibling);
    } else if (action === "down" && row.nextElementSibling) {
      list.insertBefore(row.nextElementSibling, row);
    } else if (action === "remove") {
      row.remove();
      if (!list.children.length) { addRow(); }
      renumber();
      add.focus();
      return;
    }
    renumber();
    if (!button.disabled) { button.focus(); }
  });

  add.addEventListener("click", function () {
    addRow().querySelector("input[type=text]").focus();
  });

  // With the buttons at hand, blank rows are clutter: keep one only when there is nothing else.
  rows().forEach(function (row) {
    if (row.hasAttribute("data-blank") && list.children.length > 1) { row.remove(); }
  });
  list.querySelectorAll(".stage-tools").forEach(function (tools) { tools.hidden = false; });
  add.hidden = false;
  renumber();
})();
