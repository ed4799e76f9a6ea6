// Alarm images over a real local HTTP server: fetched within time and size limits, stored on disk
// under a reference, attached to the alarm as a separate event (the alarm itself never waits).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchSnapshot, SnapshotError, SnapshotStore } from '../../edge/seals/snapshot.js';
import { waitFor } from '../helpers/wait-for.js';
import { MAIN_CAM, type SealRig, sealConfig, startSealRig } from './rig.js';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 7), Buffer.from([0xff, 0xd9])]);

let server: http.Server;
let base: string;
let hits: string[];
let dir: string;

beforeEach(async () => {
  hits = [];
  server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    switch (req.url) {
      case '/snap.jpg':
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': JPEG.length });
        res.end(JPEG);
        return;
      case '/hang':
        return; // never answers
      case '/slow-body':
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.write(JPEG.subarray(0, 10));
        return; // body never ends
      case '/huge-declared':
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': 10_000_000 });
        res.end();
        return;
      case '/huge-chunked':
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1024, 1));
        res.end();
        return;
      case '/login':
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>login</html>');
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('no');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'minegate-seal-img-'));
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SnapshotError);
    return (err as SnapshotError).code;
  }
  throw new Error('expected a SnapshotError');
};

describe('fetchSnapshot', () => {
  it('returns the image bytes and content type', async () => {
    const snap = await fetchSnapshot(`${base}/snap.jpg`);
    expect(snap.contentType).toBe('image/jpeg');
    expect(snap.bytes.equals(JPEG)).toBe(true);
  });

  it('gives up after the time limit when the camera does not answer, or stalls mid-body', async () => {
    const started = Date.now();
    expect(await codeOf(fetchSnapshot(`${base}/hang`, { timeoutMs: 200 }))).toBe('timeout');
    expect(await codeOf(fetchSnapshot(`${base}/slow-body`, { timeoutMs: 200 }))).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses oversized images (declared or streamed), non-images and error statuses', async () => {
    expect(await codeOf(fetchSnapshot(`${base}/huge-declared`, { maxBytes: 4096 }))).toBe('too-large');
    expect(await codeOf(fetchSnapshot(`${base}/huge-chunked`, { maxBytes: 4096 }))).toBe('too-large');
    expect(await codeOf(fetchSnapshot(`${base}/login`))).toBe('not-image');
    expect(await codeOf(fetchSnapshot(`${base}/missing`))).toBe('http-status');
  });

  it('reports a refused connection as a network error and rejects bad arguments', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await codeOf(fetchSnapshot(`http://127.0.0.1:${port}/x.jpg`))).toBe('network');
    expect(() => fetchSnapshot('ftp://cam/x.jpg')).toThrow(TypeError);
    expect(() => fetchSnapshot(`${base}/snap.jpg`, { timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});

describe('SnapshotStore', () => {
  it('stores the image under a reference inside its folder', async () => {
    const store = new SnapshotStore({ dir });
    const ref = await store.capture({ cameraId: 'seal/main 1', url: `${base}/snap.jpg`, alarmId: 'a', wallTime: Date.UTC(2026, 0, 5, 2, 0, 0) });
    expect(ref).toMatch(/^seal_main_1\/20260105100000-[0-9a-f]{8}\.jpg$/);
    expect(readFileSync(store.resolve(ref)).equals(JPEG)).toBe(true);
    expect(() => store.resolve('../../etc/passwd')).toThrow(/outside/);
  });
});

describe('alarm images from the seal engine', () => {
  let rig: SealRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  const withSnapshots = async (path: string) => {
    const config = sealConfig();
    config.shaftMouths[0]!.cameras[0]!.snapshotUrl = `${base}${path}`;
    const started = await startSealRig({ config, engine: { snapshots: new SnapshotStore({ dir, timeoutMs: 300 }) } });
    rig = started;
    started.personnel.lastSighting = started.clock.wall();
    await started.step();
    return started;
  };

  it('raises the alarm at once and attaches the stored image in a following event', async () => {
    const rig = await withSnapshots('/snap.jpg');
    rig.mainCam.setTamper({ occluded: true });
    await rig.step();
    const [on] = rig.of('alarm-on', 'occluded');
    expect(on!.imageRef).toBeUndefined();
    const image = await waitFor(() => rig.of('image')[0], { timeoutMs: 5_000, what: 'image event' });
    expect(image).toMatchObject({ alarmId: on!.alarmId, cameraId: MAIN_CAM, rule: 'occluded', imageRef: expect.stringMatching(/^seal-main-1\/.*\.jpg$/) });
    const path = join(dir, image.imageRef!);
    expect(readFileSync(path).equals(JPEG)).toBe(true);
    expect(rig.engine.activeAlarms()[0]!.imageRef).toBe(image.imageRef);
    rig.mainCam.setTamper({ occluded: false });
    await rig.step();
    expect(rig.of('alarm-off', 'occluded')[0]!.imageRef).toBe(image.imageRef);
  });

  it('records why an image could not be had, and does not try when there is no video', async () => {
    const rig = await withSnapshots('/hang');
    rig.engine.setMode('main', 'stopped', { operator: 'op', reason: 'test' });
    rig.mainCam.personIn(1);
    await rig.step();
    expect(rig.of('alarm-on', 'stopped-crossing')).toHaveLength(1);
    const image = await waitFor(() => rig.of('image')[0], { timeoutMs: 5_000, what: 'image event' });
    expect(image).toMatchObject({ rule: 'stopped-crossing', reason: expect.stringMatching(/within 300 ms/) });
    expect(image.imageRef).toBeUndefined();
    const before = hits.length;
    rig.mainCam.setTamper({ videoLost: true });
    await rig.step();
    expect(rig.of('alarm-on', 'video-lost')).toHaveLength(1);
    await rig.engine.close();
    expect(hits.length).toBe(before);
    expect(existsSync(join(dir, 'seal-main-1'))).toBe(false);
  });
});
