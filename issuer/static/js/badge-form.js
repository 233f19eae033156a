// The badge form (studio/badge_form.html): a preview of the chosen image before it is saved,
// and the server's size warnings (not square, not 150x150) beside it as soon as it is chosen.
(function () {
  var input = document.getElementById("image");
  var preview = document.getElementById("image-preview");
  var status = document.getElementById("image-warnings");
  var form = input.form;
  var recommended = Number(form.getAttribute("data-recommended-size"));
  var previewUrl = null;
  // Each choice gets a number: a slow read of an earlier file must not show its warnings.
  var choice = 0;

  // The same number format as the server's: 150, 150.5, never 150.0.
  function formatNumber(value) {
    return String(Number(value.toFixed(3)));
  }

  function warningText(kind, width, height) {
    var text = form.getAttribute("data-warning-" + kind) || "";
    return text.replace("{width}", width).replace("{height}", height);
  }

  // The rules of issuer/openbadges/images.py (_size_warnings).
  function sizeWarnings(width, height) {
    if (width === null || height === null) { return [warningText("unknown-size")]; }
    var shownWidth = formatNumber(width);
    var shownHeight = formatNumber(height);
    if (width !== height) { return [warningText("not-square", shownWidth, shownHeight)]; }
    if (width !== recommended) {
      return [warningText("not-recommended-size", shownWidth, shownHeight)];
    }
    return [];
  }

  function showWarnings(texts) {
    status.textContent = "";
    texts.forEach(function (text) {
      var line = document.createElement("p");
      line.className = "image-warning";
      line.textContent = text;
      status.appendChild(line);
    });
  }

  // A width or height in pixels, as issuer/openbadges/svg.py reads it (px or no unit).
  var SVG_LENGTH = /^\s*\+?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*(px)?\s*$/i;

  function svgLength(value) {
    if (value === null || !SVG_LENGTH.test(value)) { return null; }
    var length = parseFloat(value);
    return isFinite(length) && length > 0 ? length : null;
  }

  // An SVG's intrinsic size: its width and height, else its viewBox; null when unreadable.
  function svgSize(text) {
    var parsed = new DOMParser().parseFromString(text, "image/svg+xml");
    var root = parsed.documentElement;
    if (!root || root.localName !== "svg" || parsed.getElementsByTagName("parsererror").length) {
      return null;  // the server says what is wrong with it on saving
    }
    var width = svgLength(root.getAttribute("width"));
    var height = svgLength(root.getAttribute("height"));
    if (width !== null && height !== null) { return [width, height]; }
    var box = root.getAttribute("viewBox");
    if (box !== null) {
      var parts = box.trim().split(/[\s,]+/);
      if (parts.length === 4) {
        var boxWidth = Number(parts[2]);
        var boxHeight = Number(parts[3]);
        if (isFinite(boxWidth) && isFinite(boxHeight) && boxWidth > 0 && boxHeight > 0) {
          return [boxWidth, boxHeight];
        }
      }
    }
    return [null, null];
  }

  function isSvg(file) {
    return file.type === "image/svg+xml" || /\.svg$/i.test(file.name);
  }

  function isPng(file) {
    return file.type === "image/png" || /\.png$/i.test(file.name);
  }

  function checkSize(file, mine) {
    if (isSvg(file)) {
      file.text().then(function (text) {
        var size = svgSize(text);
        if (mine === choice && size !== null) { showWarnings(sizeWarnings(size[0], size[1])); }
      });
    } else if (isPng(file)) {
      preview.addEventListener("load", function () {
        if (mine === choice && preview.naturalWidth > 0) {
          showWarnings(sizeWarnings(preview.naturalWidth, preview.naturalHeight));
        }
      }, { once: true });
    }
    // Other files: the server explains on saving that only PNG and SVG are accepted.
  }

  function showPreview() {
    choice += 1;
    showWarnings([]);
    if (previewUrl !== null) { URL.revokeObjectURL(previewUrl); previewUrl = null; }
    var file = input.files[0];
    if (!file) { preview.hidden = true; preview.removeAttribute("src"); return; }
    previewUrl = URL.createObjectURL(file);
    checkSize(file, choice);
    preview.src = previewUrl;
    preview.hidden = false;
  }

  input.addEventListener("change", showPreview);
  // A file chosen before this deferred script ran (or kept by the browser on
  // going back) has already fired its change event.
  showPreview();
})();
