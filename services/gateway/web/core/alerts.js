// The alerts seen live during this login (alert events of the feed), by id: the alerts screen shows
// them as they come.
export const liveAlerts = new Map();

document.addEventListener("cityops:event", (e) => {
  if (e.detail.type !== "alert") return;
  const alert = e.detail.data.data;
  liveAlerts.set(alert.alert_id, alert);
});
