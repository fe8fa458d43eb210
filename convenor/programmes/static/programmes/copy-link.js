// A "Copy link" button for each read-only link field marked data-copy-status. Without
// JavaScript or clipboard access (plain http) there is no button, and the link can still be
// selected in its field.
document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard) return;
  for (const field of document.querySelectorAll("input[data-copy-status]")) {
    const status = document.getElementById(field.dataset.copyStatus);
    if (!status) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = "Copy link";
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(field.value);
        status.textContent = "Link copied.";
      } catch {
        field.select();
        status.textContent = "Could not copy: the link is selected, copy it with your keyboard.";
      }
    });
    status.before(button);
  }
});
