// Applies the saved theme and text size before the page paints, so a
// dark-mode reader is not flashed with white.
(function () {
  'use strict';
  var root = document.documentElement;
  try {
    var theme = localStorage.getItem('nuri.theme');
    if (theme === 'light' || theme === 'dark') root.setAttribute('data-theme', theme);
    var size = parseInt(localStorage.getItem('nuri.fontSize') || '', 10);
    if (size >= 12 && size <= 24) root.style.fontSize = size + 'px';
  } catch (e) { /* storage disabled: defaults apply */ }
})();
