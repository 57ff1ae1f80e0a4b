// The screens of the dashboard, in nav order: one import line per screen (web/core/router.js mounts them).
// Screens with label null are places reached by links (walls, tours, playback), not in the nav.
import wall from "./wall.js";
import map from "./map.js";
import alerts from "./alerts.js";
import kpis from "./kpis.js";
import cases from "./cases.js";
import businesses from "./businesses.js";
import briefing from "./briefing.js";
import directives from "./directives.js";
import forms from "./forms.js";
import upload from "./upload.js";
import history from "./history.js";
import tasks from "./tasks.js";
import { walls, tours } from "../places/walls.js";
import playback from "../places/playback.js";

export default [wall, map, alerts, kpis, cases, businesses, briefing, directives, forms, upload, history, tasks, walls, tours, playback];
