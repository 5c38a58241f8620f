/* "Turn on notifications on this device": subscribe to web push and tell the server. */
(function () {
  const button = document.getElementById("push-enable");
  const status = document.getElementById("push-status");
  // Progressive enhancement: without JavaScript the push choice shows (the server offers it
  // only when it can send push); a browser that can't receive push never sees it.
  const supported = "serviceWorker" in navigator && "PushManager" in window;
  if (!supported) {
    document.querySelectorAll("[data-needs-push]").forEach((el) => { el.hidden = true; });
    const note = document.getElementById("push-unsupported");
    if (note) { note.hidden = false; }
    return;
  }
  if (!button) { return; }
  button.hidden = false;

  function keyToBytes(base64) {
    const padded = (base64 + "=".repeat((4 - (base64.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(padded);
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }
  function csrfToken() {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  button.addEventListener("click", async () => {
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") { status.textContent = "Notifications were not allowed."; return; }
      const registration = await navigator.serviceWorker.ready;
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true, applicationServerKey: keyToBytes(button.dataset.vapidKey),
      });
      const response = await fetch(button.dataset.subscribeUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(subscription.toJSON()),
      });
      status.textContent = response.ok ? "Notifications are on for this device." : "Something went wrong. Please try again.";
    } catch (e) {
      status.textContent = "This browser could not turn on notifications.";
    }
  });
})();
