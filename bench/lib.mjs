// Helpers shared by the benchmark runner: child processes, HTTP, signing, statistics, formatting.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { openSync, readFileSync, closeSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

export const ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

// ---- statistics --------------------------------------------------------------------------------

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** {median, min, max, runs} of a list of numbers. */
export function summary(xs) {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), runs: xs };
}

/** The p-th percentile (0..100) of a list, nearest rank. */
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank];
}

// ---- processes -----------------------------------------------------------------------------------

/**
 * Starts a child process whose stdout goes to a temp file (so a chatty server never costs the
 * load generator CPU to drain a pipe) and resolves once a stdout line matches `ready`.
 * Returns {child, match, logFile, spawnedAt, readyAt, stop()}.
 */
export async function startProcess(name, args, { ready, env = {}, timeoutMs = 15_000, cwd = ROOT } = {}) {
  const logFile = join(tmpdir(), `bybit-mock-bench-${name}-${process.pid}-${Date.now()}.log`);
  const out = openSync(logFile, 'w');
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', out, 'pipe'],
  });
  closeSync(out);
  let stderr = '';
  child.stderr.on('data', (d) => {
    if (stderr.length < 20_000) stderr += d;
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + timeoutMs;
  let match;
  for (;;) {
    const text = readFileSync(logFile, 'utf8');
    match = ready.exec(text);
    if (match) break;
    if (exited) throw new Error(`${name} exited before it was ready:\n${stderr}\n${text.slice(0, 2000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} not ready after ${timeoutMs} ms:\n${stderr}\n${text.slice(0, 2000)}`);
    }
    await sleep(2);
  }
  const readyAt = performance.now();
  return {
    child,
    match,
    logFile,
    spawnedAt,
    readyAt,
    stderr: () => stderr,
    async stop() {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(t);
    },
  };
}

/**
 * CPU time (user + system, all threads) a process has used so far, in microseconds, from
 * /proc/<pid>/stat; undefined where there is no /proc (not Linux). CPU per request is far less
 * noisy than requests per second on a shared machine.
 */
export function cpuMicros(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
/** USER_HZ: 100 on every Linux Node runs on. */
const CLOCK_TICKS = 100;

/** A free TCP port on 127.0.0.1 (for a child that must be told its port up front). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ---- HTTP ----------------------------------------------------------------------------------------

/** One HTTP request; resolves {status, text, json}. */
export function http(method, url, { body, headers = {}, agent } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, text, json, headers: res.headers });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/**
 * A keep-alive HTTP/1.1 connection on a bare socket, for the latency runs. node:http's client
 * costs the load generator tens of microseconds and kilobytes of garbage per request, and its
 * own garbage-collection pauses (1-2 ms, one every hundred requests or so) showed up in the
 * servers' p99; this one writes the request text and reads a Content-Length answer, nothing more.
 * Answers come back in order (no pipelining is needed: callers wait for each answer).
 * Returns {request(method, path, body?, headers?) -> Promise<{status, text}>, close()}.
 */
export async function rawConnection(url) {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port), noDelay: true });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const host = `Host: ${hostname}:${port}\r\n`;
  const waiting = [];
  let buf;
  const fail = (err) => {
    for (const w of waiting.splice(0)) w.reject(err);
  };
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('connection closed')));
  socket.on('data', (chunk) => {
    buf = buf === undefined ? chunk : Buffer.concat([buf, chunk]);
    while (buf !== undefined) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.toString('latin1', 0, end);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (!length) {
        socket.destroy();
        fail(new Error(`answer without Content-Length: ${head.slice(0, 200)}`));
        return;
      }
      const total = end + 4 + Number(length[1]);
      if (buf.length < total) return;
      const text = buf.toString('utf8', end + 4, total);
      buf = buf.length === total ? undefined : buf.subarray(total);
      waiting.shift()?.resolve({ status: Number(head.slice(9, 12)), text });
    }
  });
  return {
    request(method, path, body, headers = {}) {
      let text = `${method} ${path} HTTP/1.1\r\n${host}`;
      for (const k in headers) text += `${k}: ${headers[k]}\r\n`;
      if (body !== undefined) text += `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      else text += '\r\n';
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        socket.write(text);
      });
    },
    close: () => socket.destroy(),
  };
}

// ---- Bybit signing -----------------------------------------------------------------------------

export const RECV_WINDOW = '5000';

/** Bybit v5 REST headers for a signed POST of `body` (wall clock, as real clients sign). */
export function signedHeaders(key, secret, body, now = Date.now()) {
  const ts = String(now);
  return {
    'content-type': 'application/json',
    'x-bapi-api-key': key,
    'x-bapi-timestamp': ts,
    'x-bapi-recv-window': RECV_WINDOW,
    'x-bapi-sign': createHmac('sha256', secret)
      .update(ts + key + RECV_WINDOW + body)
      .digest('hex'),
  };
}

/** The args of a private WebSocket `auth` op. */
export function wsAuthArgs(key, secret, now = Date.now()) {
  const expires = now + 10_000;
  return [key, expires, createHmac('sha256', secret).update(`GET/realtime${expires}`).digest('hex')];
}

// ---- formatting ----------------------------------------------------------------------------------

export function fmt(x, digits = 0) {
  if (x === undefined || x === null || Number.isNaN(x)) return '-';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** "median (min-max)" */
export function range(s, digits = 0, unit = '') {
  if (!s) return '-';
  return `${fmt(s.median, digits)}${unit} (${fmt(s.min, digits)}-${fmt(s.max, digits)})`;
}

/** A plain-text table (also valid Markdown). */
export function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map((c) => String(c)));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [
    line(all[0]),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...all.slice(1).map(line),
  ].join('\n');
}
