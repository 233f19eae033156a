// The badge form (studio/badge_form.html): a preview of the chosen image before it is saved.
document.getElementById("image").addEventListener("change", function (event) {
  var preview = document.getElementById("image-preview");
  var file = event.target.files[0];
  if (!file) { preview.hidden = true; return; }
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
});
