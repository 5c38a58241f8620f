/* Rat Park service worker: shows web push notifications and opens the right page. */
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  const title = data.title || "Rat Park";
  const actions = (data.actions || []).filter((a) => a.url && a.url.startsWith("/")).slice(0, 2);
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    tag: data.tag,
    icon: "/static/nudges/icons/icon-192.png",
    data: { url: data.url || "/", actions: actions },
    actions: actions.map((a) => ({ action: a.action, title: a.label })),
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  const chosen = (data.actions || []).find((a) => a.action === event.action);
  const url = chosen ? chosen.url : data.url || "/";
  event.waitUntil(self.clients.openWindow(url));
});

/* Network first for pages; the app works online only, this just makes it installable. */
self.addEventListener("fetch", () => {});
