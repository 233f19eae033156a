// The badge form (studio/badge_form.html): a preview of the chosen image before it is saved.
(function () {
  var input = document.getElementById("image");
  var preview = document.getElementById("image-preview");

  function showPreview() {
    var file = input.files[0];
    if (!file) { preview.hidden = true; return; }
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
  }

  input.addEventListener("change", showPreview);
  // A file chosen before this deferred script ran (or kept by the browser on
  // going back) has already fired its change event.
  showPreview();
})();
