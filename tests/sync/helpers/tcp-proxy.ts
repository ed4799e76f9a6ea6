// A loopback TCP proxy in front of the broker, to break the uplink on purpose:
// cut() resets every connection (link drop), freeze() turns current connections into black holes
// (half-open: nothing arrives, nothing is refused), refuse() makes new connections fail.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  url: string;
  cut(): void;
  freeze(): void;
  refuse(on: boolean): void;
  connections(): number;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<{ a: Socket; b: Socket; frozen: boolean }>();
  let refusing = false;
  const server: Server = createServer((a) => {
    if (refusing) {
      a.destroy();
      return;
    }
    const b = connect(targetPort, '127.0.0.1');
    const pair = { a, b, frozen: false };
    pairs.add(pair);
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (d) => {
        if (!pair.frozen) to.write(d);
      });
    };
    forward(a, b);
    forward(b, a);
    const end = (): void => {
      pairs.delete(pair);
      a.destroy();
      b.destroy();
    };
    a.on('error', end);
    b.on('error', end);
    a.on('close', end);
    b.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    cut: () => {
      for (const p of [...pairs]) {
        p.a.resetAndDestroy();
        p.b.destroy();
      }
    },
    freeze: () => {
      for (const p of pairs) p.frozen = true;
    },
    refuse: (on) => {
      refusing = on;
    },
    connections: () => pairs.size,
    close: async () => {
      for (const p of [...pairs]) {
        p.a.destroy();
        p.b.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
