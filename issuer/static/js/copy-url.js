// An award's page (public/assertion.html): the button that copies the badge URL.
(function () {
  var copy = document.getElementById("copy-url");
  if (copy) copy.addEventListener("click", function () {
    navigator.clipboard.writeText(copy.dataset.url).then(function () { copy.textContent = "Copied"; });
  });
})();
