// A plan on a schematic map of the region: the provinces drawn from a bundled outline (no tile server, nothing
// fetched), the sites at their coordinates, each move an arrow from sender to receiver.
import { COMPONENT_LABELS, bloodGroup, fmtNumber, svg } from "./console-dom.js";


// Schematic outlines (lon, lat), simplified by hand to a dozen or two points each: they place the sites in their
// province, they are not borders to measure on (the map says so).
export const PROVINCES = {
  SH: { name: "上海", outline: [[121.0, 31.5], [121.3, 31.87], [121.9, 31.7], [122.0, 31.0], [121.8, 30.85],
    [121.3, 30.7], [121.0, 30.9], [120.9, 31.1]] },
  JS: { name: "江苏", outline: [[116.4, 34.4], [117.2, 34.9], [118.5, 35.1], [119.3, 34.8], [119.8, 34.4],
    [120.3, 33.9], [120.9, 32.8], [121.9, 31.9], [121.3, 31.87], [121.0, 31.5], [120.6, 31.1], [120.0, 31.2],
    [119.5, 31.2], [119.2, 31.6], [118.8, 32.0], [118.5, 32.4], [118.2, 32.8], [117.8, 33.3], [117.1, 33.8],
    [116.6, 34.1]] },
  ZJ: { name: "浙江", outline: [[118.0, 29.2], [118.6, 30.2], [119.2, 30.6], [119.6, 31.1], [120.0, 31.2],
    [120.6, 31.1], [121.0, 30.9], [121.3, 30.7], [121.9, 30.0], [122.2, 29.8], [121.9, 29.0], [121.5, 28.3],
    [121.0, 27.6], [120.5, 27.1], [119.7, 27.6], [118.9, 27.8], [118.4, 28.4]] },
  AH: { name: "安徽", outline: [[115.0, 32.0], [115.6, 31.2], [116.1, 30.3], [116.6, 29.8], [117.4, 29.5],
    [118.0, 29.2], [118.4, 29.8], [118.9, 30.3], [119.2, 30.6], [119.5, 31.2], [119.2, 31.6], [118.8, 32.0],
    [118.5, 32.4], [118.2, 32.8], [117.8, 33.3], [117.1, 33.8], [116.6, 34.1], [116.4, 34.4], [116.0, 34.6],
    [115.5, 33.9], [115.4, 33.0], [114.9, 32.6]] },
};

const title = (text) => svg("title", {}, text);

// Equirectangular, shrunk east-west by cos(latitude) so the region is not stretched; fitted to the outlines
// of the regions in view (a plan of one region is drawn at that region's scale).
function projection(regions, width) {
  const points = regions.flatMap((r) => PROVINCES[r].outline);
  const lons = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  const [west, east, south, north] = [Math.min(...lons) - 0.2, Math.max(...lons) + 0.2, Math.min(...lats) - 0.2,
    Math.max(...lats) + 0.2];
  const squeeze = Math.cos(((south + north) / 2) * Math.PI / 180);
  const scale = width / ((east - west) * squeeze);
  const height = Math.round((north - south) * scale);
  return { width, height, at: (lon, lat) => [((lon - west) * squeeze * scale), ((north - lat) * scale)] };
}

// sites: [{id, name, kind, region, lat, lon}]; moves as the plan has them; daysBySite: id → text for its tooltip.
export function planMap(plan, sites, { daysBySite = new Map(), width = 760 } = {}) {
  const byId = new Map(sites.filter((s) => typeof s.lat === "number" && typeof s.lon === "number").map((s) => [s.id, s]));
  const moves = (plan.moves || []).filter((m) => byId.has(m.from_site) && byId.has(m.to_site));
  const inView = new Set([plan.region, ...moves.flatMap((m) => [byId.get(m.from_site).region, byId.get(m.to_site).region])]
    .filter((r) => PROVINCES[r]));
  const regions = inView.size ? [...inView] : Object.keys(PROVINCES);
  const { height, at } = projection(regions, width);
  const involved = new Set(moves.flatMap((m) => [m.from_site, m.to_site]));

  const provinces = Object.entries(PROVINCES).map(([code, p]) => {
    const pts = p.outline.map(([lon, lat]) => at(lon, lat));
    const cx = pts.reduce((s, q) => s + q[0], 0) / pts.length;
    const cy = pts.reduce((s, q) => s + q[1], 0) / pts.length;
    return svg("g", { class: `province${inView.has(code) ? " in-plan" : ""}`, "data-region": code },
      svg("polygon", { points: pts.map((q) => q.map((v) => v.toFixed(1)).join(",")).join(" ") }, title(`${p.name} ${code}`)),
      svg("text", { x: cx.toFixed(1), y: cy.toFixed(1), class: "province-name" }, p.name));
  });

  // One arrow per sender → receiver pair, as thick as the U it carries; its tooltip lists every group.
  const pairs = new Map();
  for (const m of moves) {
    const key = `${m.from_site}>${m.to_site}`;
    if (!pairs.has(key)) {
      pairs.set(key, { from: m.from_site, to: m.to_site, units: 0, lines: [], km: m.distance_km });
    }
    const pair = pairs.get(key);
    pair.units += Number(m.units) || 0;
    pair.lines.push(`${COMPONENT_LABELS[m.component] || m.component} ${bloodGroup(m.abo, m.rhd)} ${fmtNumber(m.units, 2)} U`);
  }
  const maxUnits = Math.max(1, ...[...pairs.values()].map((p) => p.units));
  const arrows = [...pairs.values()].map((p) => {
    const [x1, y1] = at(byId.get(p.from).lon, byId.get(p.from).lat);
    const [x2, y2] = at(byId.get(p.to).lon, byId.get(p.to).lat);
    const label = `${byId.get(p.from).name || p.from} → ${byId.get(p.to).name || p.to}（${fmtNumber(p.km, 1)} km）：\n`
      + p.lines.join("\n");
    return svg("line", { x1: x1.toFixed(1), y1: y1.toFixed(1), x2: x2.toFixed(1), y2: y2.toFixed(1), class: "move",
      "stroke-width": (1.2 + 4 * p.units / maxUnits).toFixed(1), "marker-end": "url(#plan-arrow)",
      "data-from": p.from, "data-to": p.to, "data-units": p.units.toFixed(2) }, title(label));
  });

  const dots = [...byId.values()].filter((s) => regions.includes(s.region) || involved.has(s.id)).map((s) => {
    const [x, y] = at(s.lon, s.lat);
    const tip = [`${s.name || s.id} ${s.id}`, daysBySite.get(s.id)].filter(Boolean).join("\n");
    return svg("g", { class: `site site-${s.kind}${involved.has(s.id) ? " involved" : ""}`, "data-site": s.id },
      s.kind === "station"
        ? svg("rect", { x: (x - 4).toFixed(1), y: (y - 4).toFixed(1), width: 8, height: 8 }, title(tip))
        : svg("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 2.5 }, title(tip)),
      involved.has(s.id) ? svg("text", { x: (x + 6).toFixed(1), y: (y - 5).toFixed(1), class: "site-name" }, s.name || s.id) : null);
  });

  return svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "plan-map", id: "plan-map", role: "img",
    "aria-label": `调剂方案示意图：${moves.length} 条调剂` },
  svg("defs", {}, svg("marker", { id: "plan-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 9,
    markerHeight: 9, markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" }, svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow-head" }))),
  svg("g", { class: "provinces" }, provinces),
  svg("g", { class: "moves" }, arrows),
  svg("g", { class: "sites" }, dots),
  svg("text", { x: 8, y: height - 8, class: "map-note" }, "示意图：省界为简化轮廓，非精确边界；■ 血站 ● 医院"));
}
