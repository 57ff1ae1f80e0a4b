// Alerts: the latest ones and those arriving live, acknowledged (and a case opened) with one click.
import { liveAlerts } from "../core/alerts.js";
import { t as translate } from "../core/i18n.js";
import { alertLink } from "../places/playback.js";

// The state of the live feed ("live" or "reconnecting", core/feed.js), kept across mounts: shown here.
let liveState = null;
let onEvent = null;
const liveText = () => (liveState ? translate(liveState === "live" ? "alerts.live_on" : "alerts.live_off") : "");

export function setLiveState(state) {
  liveState = state;
  const node = document.querySelector("#live-state");
  if (node) { node.dataset.state = state; node.textContent = liveText(); }
}

export default {
  name: "alerts",
  label: "alerts.nav",
  permission: "alerts:read",
  async mount(root, ctx) {
    const { el, t, api, items } = ctx;
    let suggested = new Set();
    const live = el("p", { id: "live-state", "aria-live": "polite" }, liveText());
    if (liveState) live.dataset.state = liveState;
    const feed = el("ul", { id: "alert-feed", class: "feed", "aria-live": "polite" });
    root.append(el("h2", {}, t("alerts.nav")), live, feed);

    // Alerts whose rule suggests a case (case_policy "suggest"): one click opens it (a second returns the same).
    function caseButton(alert, id) {
      if (alert.case_policy !== "suggest" && !suggested.has(id)) return null;
      const button = el("button", { type: "button", class: "open-case", onclick: async () => {
        const opened = await api(`/api/v1/cases/from-alert/${id}`, { method: "POST" });
        suggested.delete(id);
        button.textContent = `${t("alerts.case_opened")} #${opened.id}`; button.disabled = true; } }, t("alerts.case_open"));
      return button;
    }

    function alertItem(alert) {
      const id = alert.alert_id ?? alert.id;
      const acked = Boolean(alert.acknowledged_at);
      const button = el("button", { type: "button", class: "ack", disabled: acked ? "" : null, onclick: async () => {
        await api(`/api/v1/alerts/${id}/ack`, { method: "POST", body: { by: ctx.me.name } });
        button.textContent = t("alerts.acked"); button.disabled = true; } }, acked ? t("alerts.acked") : t("alerts.ack"));
      return el("li", { "data-alert": id },
        el("img", { src: `/api/v1/alerts/${id}/snapshot.jpg`, alt: alert.rule_name ?? alert.rule_type }),
        el("div", {}, el("strong", {}, `${alert.rule_name ?? alert.rule_type} — ${alert.camera}`),
          el("div", {}, `${alert.phase ?? alert.status} · ${alert.peak_count ?? alert.count ?? ""} · ${new Date(alert.started_at).toLocaleString(ctx.lang)}`)),
        el("a", { class: "replay", href: alertLink(alert) }, t("replay")), button, caseButton(alert, id));
    }

    function render(alert, fresh) {
      const id = alert.alert_id ?? alert.id;
      const existing = feed.querySelector(`li[data-alert="${id}"]`);
      const node = alertItem(alert);
      if (fresh) node.classList.add("new");
      if (existing) existing.replaceWith(node); else feed.prepend(node);
    }

    onEvent = (e) => { if (e.detail.type === "alert") render(e.detail.data.data, true); };
    document.addEventListener("cityops:event", onEvent);
    const [page, suggestions] = await Promise.all([api("/api/v1/alerts?limit=30"), api("/api/v1/cases/suggestions").catch(() => [])]);
    suggested = new Set(items(suggestions).map((s) => s.alert_id));
    // Alerts that arrived while the list was loading stay on top of it.
    const shown = new Set([...feed.children].map((n) => n.dataset.alert));
    feed.append(...items(page).filter((a) => !shown.has(a.id)).map(alertItem));
  },
  unmount() {
    document.removeEventListener("cityops:event", onEvent);
    onEvent = null;
  },
};
