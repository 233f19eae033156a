// The CSV award preview (studio/award_csv_preview.html), when its file can be awarded.
// Send the form with fetch and show the server's progress lines; without JavaScript the form
// posts normally and the page reloads when the award is done.
document.getElementById("csv-award").addEventListener("submit", async (event) => {
  if (!window.fetch || !window.TextDecoder) return;
  event.preventDefault();
  const form = event.currentTarget;
  const box = document.getElementById("csv-progress");
  const bar = box.querySelector("progress");
  const status = box.querySelector("[role=status]");
  form.querySelector("button").disabled = true;
  box.hidden = false;
  bar.removeAttribute("value");  // indeterminate while the file is checked again
  status.textContent = "Checking the file…";
  const response = await fetch(form.action || location.href, {
    method: "POST", body: new FormData(form), headers: {"Accept": "application/x-ndjson"},
  });
  if (!response.ok || !response.body) { form.submit(); return; }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const {value, done} = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, {stream: true});
    let end;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const step = JSON.parse(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
      if (step.phase === "awarding") {
        bar.max = step.total; bar.value = step.done;
        status.textContent = `Awarded ${step.done.toLocaleString()} of ${step.total.toLocaleString()} rows…`;
      } else if (step.phase === "failed") {
        status.textContent = step.message;
        status.classList.add("errors");
        form.querySelector("button").disabled = false;
        return;
      } else if (step.phase === "done") {
        bar.max = 1; bar.value = 1;
        status.textContent = "Done.";
        location.assign(step.redirect);
        return;
      }
    }
  }
  status.textContent = "The connection was lost before the award finished; reload to see whether it was made.";
});
