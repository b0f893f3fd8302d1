// The console's colour theme, applied before the first paint: a classic script in <head>, so the
// page never flashes light before turning dark. "system" (nothing stored) leaves it to the
// browser's prefers-color-scheme; theme.js changes it later.
(function applyStoredTheme() {
  try {
    const theme = localStorage.getItem("jimeng-console.theme");
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  } catch {
    // Storage can be disabled: the system's theme applies.
  }
})();
