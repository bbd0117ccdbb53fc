/** The JUnit XML reader against cocotb's own report format and hand-made edge cases. */
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { parseXml, readJunit } from '../src/sim/cocotb-junit.js';

// Shape and escaping as cocotb 2.1's xunit reporter writes them (ElementTree output).
const COCOTB_XML = `<?xml version='1.0' encoding='utf-8'?>
<testsuites name="cocotb tests"><testsuite name="test_bnn_top" errors="0" failures="1" skipped="1" tests="3" time="0.055">
<testcase classname="test_bnn_top" name="test_back_to_back" time="0.012"><properties><property name="cocotb" value="True" /><property name="sim_time_unit" value="ns" /><property name="sim_time_duration" value="1310.0" /></properties></testcase>
<testcase classname="test_bnn_top" name="test_random_traffic" time="0.5"><failure message="image 1007 (record 7): scores [1, -2] (expected [1, &quot;x&quot;]) &lt;&amp;&gt; &#x41;&#66;" type="AssertionError">Traceback (most recent call last):
  File "axis.py", line 255, in run
AssertionError: image 1007 (record 7) &lt;tb&gt;
</failure><properties><property name="random_seed" value="3" /></properties><system-out>out</system-out></testcase>
<testcase classname="test_bnn_top" name="test_cycle_figures" time="0"><skipped message="Test was skipped" /></testcase>
</testsuite></testsuites>`;

describe('readJunit', () => {
  it('reads names, statuses, messages with entities, tracebacks and properties', () => {
    const cases = readJunit(COCOTB_XML);
    expect(cases.map((c) => [c.name, c.status, c.time])).toEqual([
      ['test_back_to_back', 'passed', 0.012],
      ['test_random_traffic', 'failed', 0.5],
      ['test_cycle_figures', 'skipped', 0],
    ]);
    expect(cases[0].properties).toEqual({ cocotb: 'True', sim_time_unit: 'ns', sim_time_duration: '1310.0' });
    expect(cases[1].message).toBe('image 1007 (record 7): scores [1, -2] (expected [1, "x"]) <&> AB');
    expect(cases[1].detail).toContain('AssertionError: image 1007 (record 7) <tb>\n');
    expect(cases[1].classname).toBe('test_bnn_top');
    expect(cases[1].properties.random_seed).toBe('3');
    expect(cases[2].message).toBe('Test was skipped');
  });

  it('nests deeply without recursion', () => {
    const depth = 50_000;
    const xml = `<testsuites>${'<x>'.repeat(depth)}<testcase name="deep"/>${'</x>'.repeat(depth)}</testsuites>`;
    expect(readJunit(xml).map((c) => c.name)).toEqual(['deep']);
  });

  it('reads an error element, CDATA and comments', () => {
    const xml = `<testsuite><!-- c --><testcase name="a" time="1.5"><error message='m &apos;q&apos;'><![CDATA[<raw & text>]]></error></testcase></testsuite>`;
    const [c] = readJunit(xml);
    expect(c).toMatchObject({ name: 'a', status: 'error', time: 1.5, message: "m 'q'", detail: '<raw & text>' });
  });

  it('rejects what is not well-formed, naming the line', () => {
    expect(() => parseXml('<a><b></a>', 'r.xml')).toThrow(new InputError('r.xml', 'line 1', '"</b>"', '"</a>"'));
    expect(() => parseXml('<a>\n<b>', 'r.xml')).toThrow(/r\.xml: line 2: expected "<\/b>" before the end/);
    expect(() => parseXml('<a>&nbsp;</a>', 'r.xml')).toThrow(/reference: expected a predefined entity .*, got "&nbsp;"/);
    for (const bad of ['&#x110000;', '&#0;', '&#xD800;', '&#99999999999999999999;', '& ', '&amp', '\u0001']) {
      expect(() => parseXml(`<a>${bad}</a>`, 'r.xml'), bad).toThrow(InputError);
      expect(() => parseXml(`<a b="${bad}"/>`, 'r.xml'), bad).toThrow(InputError);
    }
    expect(parseXml('<a b="&#x10FFFF;&#9;"/>').attrs.b).toBe('\u{10FFFF}\t');
    expect(() => parseXml('<a b="1" b="2"/>', 'r.xml')).toThrow(/attribute b only once/);
    expect(() => parseXml('<a b="<"/>', 'r.xml')).toThrow(/no "<" in an attribute value/);
    expect(() => parseXml('<!DOCTYPE x><a/>', 'r.xml')).toThrow(/no DTD/);
    expect(() => parseXml('<a/><b/>', 'r.xml')).toThrow(/a single root element/);
    expect(() => readJunit('<html/>', 'r.xml')).toThrow(/root element: expected <testsuites> or <testsuite>, got <html>/);
  });
});
