// Items page behaviour (served by both apps at /static/items.js): highlight the row the URL points at.
document.addEventListener("DOMContentLoaded", () => {
  const target = window.location.hash && document.querySelector(window.location.hash);
  if (target) target.scrollIntoView({ block: "center" });
});
