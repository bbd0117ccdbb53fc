/**
 * A reader for the JUnit (xUnit) XML that cocotb writes: testsuites > testsuite >
 * testcase, each with an optional failure / error / skipped child and properties.
 *
 * The XML cocotb writes is plain: elements, attributes, character data with the five
 * predefined entities and numeric character references, no DTD. A small reader for
 * exactly that is simpler to trust than a dependency; anything outside it (a DTD, an
 * unclosed tag) is an error rather than a guess.
 */
import { InputError } from '../errors.js';

export interface XmlElement {
  name: string;
  /** Attribute values by name (a prototype-less object: names are data). */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element. */
  text: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. */
function isXmlChar(c: number): boolean {
  return c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

// Characters XML forbids even when written literally (surrogates come in valid pairs here).
const FORBIDDEN_LITERAL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

function decodeEntities(s: string, source: string): string {
  if (FORBIDDEN_LITERAL.test(s)) {
    throw new InputError(source, 'character data', 'XML characters only', JSON.stringify(FORBIDDEN_LITERAL.exec(s)![0]));
  }
  if (!s.includes('&')) return s;
  // Every '&' must start a reference: a lone one is not well-formed XML.
  return s.replace(/&([^;&<\s]{0,12})(;?)/g, (whole, ref: string, semi: string) => {
    if (semi === ';' && ref in ENTITIES) return ENTITIES[ref];
    const m = semi === ';' ? /^#(?:x([0-9a-fA-F]{1,8})|([0-9]{1,10}))$/.exec(ref) : null;
    const code = m ? (m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2], 10)) : -1;
    if (!isXmlChar(code)) {
      throw new InputError(source, 'reference', 'a predefined entity or a character reference to an XML character', JSON.stringify(whole));
    }
    return String.fromCodePoint(code);
  });
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ATTR = /\s*([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("([^"]*)"|'([^']*)')/y;

/** Parse an XML document into its root element. */
export function parseXml(xml: string, source = 'XML'): XmlElement {
  let pos = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const fail = (expected: string): never => {
    const line = xml.slice(0, pos).split('\n').length;
    throw new InputError(source, `line ${line}`, expected, JSON.stringify(xml.slice(pos, pos + 30)));
  };

  while (pos < xml.length) {
    const lt = xml.indexOf('<', pos);
    const textEnd = lt < 0 ? xml.length : lt;
    if (textEnd > pos) {
      const text = xml.slice(pos, textEnd);
      if (stack.length > 0) stack[stack.length - 1].text += decodeEntities(text, source);
      else if (text.trim() !== '') fail('only whitespace outside the root element');
      pos = textEnd;
      continue;
    }
    if (xml.startsWith('<?', pos)) {
      const end = xml.indexOf('?>', pos);
      if (end < 0) fail('"?>"');
      pos = end + 2;
    } else if (xml.startsWith('<!--', pos)) {
      const end = xml.indexOf('-->', pos);
      if (end < 0) fail('"-->"');
      pos = end + 3;
    } else if (xml.startsWith('<![CDATA[', pos)) {
      const end = xml.indexOf(']]>', pos);
      if (end < 0 || stack.length === 0) fail('a CDATA section inside an element');
      stack[stack.length - 1].text += xml.slice(pos + 9, end);
      pos = end + 3;
    } else if (xml.startsWith('<!', pos)) {
      fail('no DTD or declarations');
    } else if (xml.startsWith('</', pos)) {
      NAME.lastIndex = pos + 2;
      const m = NAME.exec(xml);
      const open = stack.pop();
      if (!m || !open || m[0] !== open.name) fail(open ? `"</${open.name}>"` : 'no closing tag here');
      pos = NAME.lastIndex;
      while (/\s/.test(xml[pos] ?? '')) pos++;
      if (xml[pos] !== '>') fail('">"');
      pos++;
    } else {
      NAME.lastIndex = pos + 1;
      const m = NAME.exec(xml);
      if (!m) fail('an element name');
      const el: XmlElement = { name: m![0], attrs: Object.create(null) as Record<string, string>, children: [], text: '' };
      pos = NAME.lastIndex;
      for (;;) {
        ATTR.lastIndex = pos;
        const a = ATTR.exec(xml);
        if (!a) break;
        if (Object.prototype.hasOwnProperty.call(el.attrs, a[1])) fail(`attribute ${a[1]} only once`);
        const raw = a[3] ?? a[4];
        if (raw.includes('<')) fail('no "<" in an attribute value');
        el.attrs[a[1]] = decodeEntities(raw, source);
        pos = ATTR.lastIndex;
      }
      while (/\s/.test(xml[pos] ?? '')) pos++;
      let selfClosing = false;
      if (xml.startsWith('/>', pos)) {
        selfClosing = true;
        pos += 2;
      } else if (xml[pos] === '>') {
        pos++;
      } else {
        fail('an attribute, ">" or "/>"');
      }
      if (stack.length > 0) stack[stack.length - 1].children.push(el);
      else if (root) fail('a single root element');
      else root = el;
      if (!selfClosing) stack.push(el);
    }
  }
  if (stack.length > 0) fail(`"</${stack[stack.length - 1].name}>" before the end`);
  if (!root) fail('a root element');
  return root!;
}

export type JunitStatus = 'passed' | 'failed' | 'error' | 'skipped';

export interface JunitCase {
  name: string;
  classname: string;
  status: JunitStatus;
  /** Wall-clock seconds. */
  time: number;
  /** The failure's one-line message (the exception text) and its full text (traceback). */
  message?: string;
  detail?: string;
  /** Test properties (cocotb adds random_seed, sim_time_duration, ...). */
  properties: Record<string, string>;
}

/** Elements in document order, without recursion (nesting depth is the file's choice). */
function* walk(root: XmlElement): Generator<XmlElement> {
  const stack: XmlElement[] = [root];
  while (stack.length > 0) {
    const el = stack.pop()!;
    yield el;
    for (let i = el.children.length - 1; i >= 0; i--) stack.push(el.children[i]);
  }
}

/** The test cases of a JUnit XML report, in file order. */
export function readJunit(xml: string, source = 'results.xml'): JunitCase[] {
  const root = parseXml(xml, source);
  if (root.name !== 'testsuites' && root.name !== 'testsuite') {
    throw new InputError(source, 'root element', '<testsuites> or <testsuite>', `<${root.name}>`);
  }
  const cases: JunitCase[] = [];
  for (const el of walk(root)) {
    if (el.name !== 'testcase') continue;
    const name = el.attrs.name;
    if (name === undefined) throw new InputError(source, 'testcase', 'a name attribute');
    let status: JunitStatus = 'passed';
    let message: string | undefined;
    let detail: string | undefined;
    const properties: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const c of el.children) {
      if (c.name === 'failure' || c.name === 'error' || c.name === 'skipped') {
        status = c.name === 'failure' ? 'failed' : c.name;
        message = c.attrs.message;
        detail = c.text.trim() === '' ? undefined : c.text;
      } else if (c.name === 'properties') {
        for (const p of c.children) {
          if (p.name === 'property' && p.attrs.name !== undefined) properties[p.attrs.name] = p.attrs.value ?? '';
        }
      }
    }
    const time = Number(el.attrs.time ?? '0');
    cases.push({
      name,
      classname: el.attrs.classname ?? '',
      status,
      time: Number.isFinite(time) ? time : 0,
      message,
      detail,
      properties,
    });
  }
  return cases;
}
