// A tiny hash router: "#/<screen>/<rest...>?query". A screen (web/screens/index.js) is mounted into a
// fresh <section> of <main>, and unmounted when another takes its place; a link or a reload opens the
// same place again. Screens the user may not use fall back to the first one they may.

// "#/walls/ops-main?x=1" → { screen: "walls", path: ["ops-main"], query: URLSearchParams("x=1") }
export function parse(hash) {
  const body = hash.replace(/^#\/?/, "");
  const cut = body.indexOf("?");
  const path = (cut < 0 ? body : body.slice(0, cut)).split("/").filter(Boolean).map(decodeURIComponent);
  return { screen: path[0] ?? "", path: path.slice(1), query: new URLSearchParams(cut < 0 ? "" : body.slice(cut + 1)) };
}

export const link = (screen, ...rest) => `#/${[screen, ...rest].map(encodeURIComponent).join("/")}`;

// screens: the registry; ctx: what every screen gets; onShow(screen): the nav marks the current one.
export function createRouter({ screens, ctx, main, onShow = () => {} }) {
  let current = null; // { screen, root }
  let running = false;

  const allowed = (s) => s.permission == null || ctx.can(s.permission);

  function stop() {
    if (!current) return;
    const { screen, root } = current;
    current = null;
    try { screen.unmount?.(); } catch (e) { console.error(e); }
    root.remove();
  }

  async function route() {
    if (!running) return;
    const { screen: name, path, query } = parse(location.hash);
    const screen = screens.find((s) => s.name === name && allowed(s)) ?? screens.find((s) => s.label && allowed(s));
    stop();
    if (!screen) return;
    // A fresh section per mount: an answer that arrives after the user moved on lands in a detached node.
    const root = ctx.el("section", { id: screen.id ?? screen.name, class: "panel", "data-screen": screen.name });
    main.append(root);
    current = { screen, root };
    onShow(screen.name);
    try {
      await screen.mount(root, ctx, { path, query });
    } catch (e) {
      console.error(e);
      if (current?.root === root) root.append(ctx.el("p", { class: "error", role: "alert" }, e.message));
    }
  }

  window.addEventListener("hashchange", route);
  return {
    route,
    current: () => current?.screen.name ?? null,
    start() { running = true; return route(); },
    stop() { running = false; stop(); },
  };
}
