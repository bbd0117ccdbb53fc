/**
 * Open a local HTML page in headless Chromium (the Debian package `chromium`) and report
 * what a person would see: console errors, page exceptions, network requests, facts
 * gathered by a script in the page, and a full-page PNG screenshot.
 *
 * Driven over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON messages
 * ending in NUL on file descriptors 3 and 4), so no WebSocket client or npm package is
 * needed; Puppeteer does the same in its pipe mode. Used by test/report.test.ts and
 * tools/report-screenshot.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable, Writable } from 'node:stream';

export interface PageVisit<T> {
  /** console.error / console.warn calls, uncaught exceptions and browser log errors. */
  errors: string[];
  /** URLs the page asked for, besides the page itself. */
  requests: string[];
  /** What `probe` returned, evaluated in the page after it loaded. */
  probe: T;
  png: Buffer;
}

/** The Chromium binary: $CHROMIUM, or chromium / chromium-browser on PATH; null if none. */
export function findChromium(): string | null {
  const candidates = [process.env.CHROMIUM, 'chromium', 'chromium-browser'].filter((c): c is string => !!c);
  for (const c of candidates) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    if (r.status === 0) return c;
  }
  return null;
}

type Message = { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string }; sessionId?: string };

/**
 * Visit `htmlFile`, evaluate `probe` (a JavaScript expression whose value is returned
 * as JSON) and take a screenshot `width` pixels wide of the whole page.
 */
export async function visitPage<T>(htmlFile: string, probe: string, width = 1300, timeoutMs = 120_000): Promise<PageVisit<T>> {
  const binary = findChromium();
  if (!binary) throw new Error('chromium not found (Debian package chromium; make setup installs it)');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-chromium-'));
  const child = spawn(
    binary,
    [
      '--headless',
      '--no-sandbox', // root in containers and CI has no user namespace sandbox
      '--disable-gpu',
      '--no-first-run',
      '--no-default-browser-check',
      '--hide-scrollbars',
      // Nothing may be fetched: any host name fails to resolve.
      '--host-resolver-rules=MAP * ~NOTFOUND',
      `--user-data-dir=${profile}`,
      '--remote-debugging-pipe',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true },
  );
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));

  let nextId = 1;
  const pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  const listeners: ((m: Message) => void)[] = [];
  let buffer = '';
  fromBrowser.on('data', (d: Buffer) => {
    buffer += d.toString('utf8');
    let end: number;
    while ((end = buffer.indexOf('\0')) >= 0) {
      const msg = JSON.parse(buffer.slice(0, end)) as Message;
      buffer = buffer.slice(end + 1);
      if (msg.id !== undefined && pending.has(msg.id)) {
        const p = pending.get(msg.id)!;
        pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`DevTools: ${msg.error.message}`));
        else p.resolve(msg.result ?? {});
      } else for (const l of listeners) l(msg);
    }
  });
  const exited = new Promise<never>((_, reject) =>
    child.on('exit', (code, signal) => reject(new Error(`chromium exited (${code ?? signal}) before the page was read: ${stderr.trim().slice(-800)}`))),
  );
  exited.catch(() => {});
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> => {
    const id = nextId++;
    const p = new Promise<Record<string, unknown>>((resolve, reject) => pending.set(id, { resolve, reject }));
    toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    return Promise.race([p, exited]);
  };
  const waitFor = (pred: (m: Message) => boolean): Promise<Message> =>
    Promise.race([new Promise<Message>((resolve) => listeners.push((m) => pred(m) && resolve(m))), exited]);

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`chromium: no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([
      timeout,
      (async (): Promise<PageVisit<T>> => {
        const pageUrl = pathToFileURL(path.resolve(htmlFile)).href;
        const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
        const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
        const errors: string[] = [];
        const requests: string[] = [];
        listeners.push((m) => {
          if (m.sessionId !== sessionId || !m.params) return;
          const p = m.params as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
          if (m.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'warning' || p.type === 'assert')) {
            errors.push(`console.${p.type}: ${(p.args ?? []).map((a: { value?: unknown; description?: string }) => a.value ?? a.description).join(' ')}`);
          } else if (m.method === 'Runtime.exceptionThrown') {
            errors.push(`exception: ${p.exceptionDetails?.exception?.description ?? p.exceptionDetails?.text}`);
          } else if (m.method === 'Log.entryAdded' && p.entry?.level === 'error') {
            errors.push(`log: ${p.entry.text}${p.entry.url ? ` (${p.entry.url})` : ''}`);
          } else if (m.method === 'Network.requestWillBeSent' && p.request?.url !== pageUrl) {
            requests.push(String(p.request?.url));
          }
        });
        for (const domain of ['Runtime', 'Log', 'Network', 'Page']) await send(`${domain}.enable`, {}, sessionId);
        await send('Emulation.setDeviceMetricsOverride', { width, height: 900, deviceScaleFactor: 1, mobile: false }, sessionId);
        const loaded = waitFor((m) => m.sessionId === sessionId && m.method === 'Page.loadEventFired');
        await send('Page.navigate', { url: pageUrl }, sessionId);
        await loaded;
        const ev = (await send('Runtime.evaluate', { expression: probe, returnByValue: true, awaitPromise: true }, sessionId)) as {
          result: { value: T };
          exceptionDetails?: { text: string };
        };
        if (ev.exceptionDetails) throw new Error(`probe failed: ${ev.exceptionDetails.text}`);
        const metrics = (await send('Page.getLayoutMetrics', {}, sessionId)) as { cssContentSize: { height: number } };
        const height = Math.ceil(metrics.cssContentSize.height);
        await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, sessionId);
        const shot = (await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, sessionId)) as { data: string };
        await send('Browser.close').catch(() => {});
        return { errors, requests, probe: ev.result.value, png: Buffer.from(shot.data, 'base64') };
      })(),
    ]);
  } finally {
    clearTimeout(timer);
    // End the browser we started (its process group), then its profile.
    try {
      if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    fs.rmSync(profile, { recursive: true, force: true });
  }
}
