// Every page (base.html): on narrow screens the site's links fold behind a "Menu" button.
(function () {
  var bar = document.querySelector("header .bar");
  var button = bar && bar.querySelector(".menu-toggle");
  if (!button) { return; }
  bar.classList.add("foldable");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    bar.classList.toggle("open", open);
  });
})();
