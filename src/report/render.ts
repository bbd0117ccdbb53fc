/**
 * Vega-Lite spec -> standalone SVG text, in Node at report time: vega-lite compiles the
 * declarative spec to a Vega spec, vega renders its scenegraph headless (renderer
 * 'none', no canvas, no browser). Charts use inline data only, so nothing is loaded.
 *
 * Why Vega-Lite: a chart is a small JSON spec that a test can inspect (fields, marks,
 * data rows) apart from drawing; the SVG it renders needs no script or network to view.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type ChartSpec = TopLevelSpec;

/** Fonts and colours shared by every chart on the page. */
const CONFIG = {
  font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
  background: 'white',
  view: { stroke: '#ccc' },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start' as const },
};

export async function renderSvg(spec: ChartSpec): Promise<string> {
  const vg = compile({ ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec).spec;
  // A loader that refuses every URL: the report must never reach the network.
  const loader = vega.loader();
  loader.load = async (uri: string): Promise<string> => {
    throw new Error(`report charts load no data (asked for ${uri})`);
  };
  const view = new vega.View(vega.parse(vg), { renderer: 'none', loader });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
