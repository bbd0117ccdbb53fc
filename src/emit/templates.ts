/**
 * The template directory (templates/ at the package root): handlebars templates that
 * fill sizes and wire stages together, and hand-written Verilog building blocks
 * (templates/rtl/bnnc_*.v) copied verbatim into every design.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

/** templates/ relative to this module: src/emit/ in development, dist/emit/ when built. */
export const TEMPLATE_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));
export const RTL_DIR = path.join(TEMPLATE_DIR, 'rtl');

const compiled = new Map<string, HandlebarsTemplateDelegate>();
/** Each stage kind's part of the top level: templates/stages/<kind>.v.hbs, a partial named <kind>. */
export const STAGE_PARTIAL_DIR = path.join(TEMPLATE_DIR, 'stages');
let partialsRegistered = false;

function registerStagePartials(): void {
  if (partialsRegistered) return;
  for (const file of fs.readdirSync(STAGE_PARTIAL_DIR).sort()) {
    const m = /^([a-z]+)\.v\.hbs$/.exec(file);
    if (m) Handlebars.registerPartial(m[1], fs.readFileSync(path.join(STAGE_PARTIAL_DIR, file), 'utf8'));
  }
  partialsRegistered = true;
}

/**
 * Render templates/<name>. Escaping is off (the output is Verilog, not HTML); callers
 * pass views checked by assertTemplateSafe. strict: a missing field is an error, not
 * an empty string in the Verilog.
 */
export function renderTemplate(name: string, view: object): string {
  registerStagePartials();
  let t = compiled.get(name);
  if (!t) {
    const text = fs.readFileSync(path.join(TEMPLATE_DIR, name), 'utf8');
    t = Handlebars.compile(text, { noEscape: true, strict: true });
    compiled.set(name, t);
  }
  return t(view);
}

/** The text of a hand-written building block, templates/rtl/<file>. */
export function readBlock(file: string): string {
  return fs.readFileSync(path.join(RTL_DIR, file), 'utf8');
}

/** bnnc's version from package.json, stamped into generated files. */
export function bnncVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as {
    version?: unknown;
  };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}
