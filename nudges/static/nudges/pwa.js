/* Register the service worker so Rat Park can be installed on a phone's home screen. */
if ("serviceWorker" in navigator) {
  const link = document.querySelector('link[rel="manifest"]');
  const sw = link && link.dataset.serviceWorker;
  if (sw) { navigator.serviceWorker.register(sw, { scope: "/" }).catch(() => {}); }
}
