// Applies the remembered theme before the first paint (loaded synchronously in <head>, so no
// flash). Without a stored choice the CSS follows prefers-color-scheme.
(function () {
  try {
    var t = localStorage.getItem('pmi-theme');
    if (t === 'dark' || t === 'light') document.documentElement.setAttribute('data-theme', t);
  } catch {
    /* storage disabled: follow the system preference */
  }
  document.documentElement.classList.add('js');
})();
