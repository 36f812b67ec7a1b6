/**
 * A real perfgraph for the end-to-end test: `uv run perfgraph serve` on the embedded
 * PostgreSQL and Redis, with its own data folder and a free loopback port.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dirname, "..", "..");

export interface Perfgraph {
  url: string;
  log: () => string;
  stop(): Promise<void>;
}

/** Runs a `perfgraph` command on the server's data folder; returns its standard output. */
export type Cli = (args: string[]) => string;

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => ok(port));
    });
  });
}

async function waitHealthy(url: string, child: ChildProcess, log: () => string, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`perfgraph exited (${child.exitCode}):\n${log()}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`perfgraph did not become healthy in ${ms} ms:\n${log()}`);
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((ok) => {
    const timer = setTimeout(() => ok(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      ok(true);
    });
  });
}

/**
 * Start a server; `prepare` runs commands on its data first. (Not while it runs: a command
 * opening the same embedded servers would stop the Redis the server is using on exit.)
 */
export async function startPerfgraph(prepare: (cli: Cli) => void = () => undefined): Promise<Perfgraph> {
  const dataDir = mkdtempSync(join(tmpdir(), "perfgraph-e2e-"));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PERFGRAPH_DATA_DIR: join(dataDir, "data"), PERFGRAPH_HOST: "127.0.0.1" };
  delete env.PERFGRAPH_DATABASE_URL;
  delete env.PERFGRAPH_REDIS_URL;
  prepare((args) =>
    execFileSync("uv", ["run", "perfgraph", ...args], { cwd: REPO_ROOT, env, encoding: "utf8", timeout: 180_000 }),
  );
  // Its own process group, so stopping it also stops the embedded servers it started.
  const child = spawn("uv", ["run", "perfgraph", "serve", "--port", String(port)], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const url = `http://127.0.0.1:${port}`;
  const log = () => output;
  const stop = async () => {
    if (child.pid && child.exitCode === null) {
      process.kill(-child.pid, "SIGINT");
      if (!(await exited(child, 30_000))) process.kill(-child.pid, "SIGKILL");
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitHealthy(url, child, log, 180_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, log, stop };
}
