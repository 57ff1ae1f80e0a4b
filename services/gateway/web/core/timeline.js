// Footage in a case's timeline: the clip of an alert or of an attached camera range, played in place
// (the media cookie lets <video> and <img> in) and linked for download.
const OWN_PATH = /^\/api\/v1\//; // only the gateway's own media paths, never a URL a message could smuggle in

const when = (iso, lang) => (iso ? new Date(iso).toLocaleTimeString(lang) : "");

export function timelineMedia(entry, el, lang) {
  const data = entry.data ?? {};
  const nodes = [];
  if (typeof data.thumbnail_url === "string" && OWN_PATH.test(data.thumbnail_url)) {
    nodes.push(el("img", { class: "case-thumb", src: data.thumbnail_url, alt: data.camera ?? "", loading: "lazy" }));
  }
  if (typeof data.clip_url === "string" && OWN_PATH.test(data.clip_url)) {
    const range = data.start ? ` ${when(data.start, lang)}–${when(data.end, lang)}` : "";
    nodes.push(el("div", { class: "case-clip" },
      el("video", { controls: "", preload: "none", src: data.clip_url, "data-camera": data.camera ?? "" }),
      el("a", { href: data.clip_url, download: "" }, `▶ ${data.camera ?? ""}${range}`)));
  }
  return nodes;
}
