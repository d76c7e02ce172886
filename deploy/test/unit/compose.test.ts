import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clusterProcesses } from '../../../scripts/services.js';

// Docker's engine cannot run in CI, so the compose file is checked against the tree instead.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const compose = parse(readFileSync(`${root}/docker-compose.yml`, 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      build?: { dockerfile: string };
      command?: string[] | string;
      environment?: Record<string, string>;
      healthcheck?: { test: string[] };
      depends_on?: Record<string, { condition: string }>;
      ports?: string[];
    }
  >;
};
const serviceDirs = readdirSync(`${root}/services`).filter((name) =>
  existsSync(`${root}/services/${name}/package.json`),
);
/** Services with a job worker: each runs as `<service>-worker`, a process with no port. */
const workerServices = serviceDirs.filter((name) => existsSync(`${root}/services/${name}/src/worker.ts`));

describe('docker-compose.yml', () => {
  it('runs every service under services/, each with its built entrypoint', () => {
    for (const name of serviceDirs) {
      const service = compose.services[name];
      expect(service, `services/${name} is missing from docker-compose.yml`).toBeDefined();
      expect(service!.command).toEqual(['node', `services/${name}/dist/server.js`]);
      expect(service!.image).toBe('conduit:local');
    }
  });

  it('runs the job worker of every service that has one, each with its built entrypoint', () => {
    for (const name of workerServices) {
      const worker = compose.services[`${name}-worker`];
      expect(worker, `${name}-worker is missing from docker-compose.yml`).toBeDefined();
      expect(worker!.command).toEqual(['node', `services/${name}/dist/worker.js`]);
      expect(worker!.image).toBe('conduit:local');
      expect(worker!.ports ?? []).toEqual([]);
      expect(clusterProcesses.find((p) => p.name === `${name}-worker`)?.entry).toBe(
        `services/${name}/src/worker.ts`,
      );
    }
    // No worker without a service behind it.
    for (const name of Object.keys(compose.services).filter((n) => n.endsWith('-worker')))
      expect(workerServices).toContain(name.slice(0, -'-worker'.length));
  });

  it('runs what pnpm start runs', () => {
    for (const process of clusterProcesses) expect(Object.keys(compose.services)).toContain(process.name);
    expect(clusterProcesses.map((p) => p.name).sort()).toEqual(expect.arrayContaining(serviceDirs));
  });

  it('gives every service health checks and waits for healthy dependencies', () => {
    for (const name of [...serviceDirs, 'postgres', 'redis', 'nats']) {
      expect(compose.services[name]!.healthcheck?.test.length, `${name} has no healthcheck`).toBeGreaterThan(
        0,
      );
    }
    // Workers serve nothing a healthcheck could ask; they may go without one.
    for (const name of [...serviceDirs, ...workerServices.map((s) => `${s}-worker`)]) {
      for (const [dependency, { condition }] of Object.entries(compose.services[name]!.depends_on ?? {})) {
        expect(condition, `${name} -> ${dependency}`).toBe('service_healthy');
      }
    }
  });

  it('runs Postgres with pgvector, Redis with AOF and noeviction, NATS with JetStream on disk, and Jaeger', () => {
    expect(compose.services.postgres!.image).toMatch(/^pgvector\/pgvector:/);
    expect(compose.services.redis!.command).toEqual(
      expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']),
    );
    expect(compose.services.nats!.command).toEqual(expect.arrayContaining(['-js', '-sd']));
    expect(compose.services.jaeger!.image).toMatch(/^jaegertracing\//);
  });

  it('copies the patches the lockfile names into every stage that installs from it', () => {
    const workspace = parse(readFileSync(`${root}/pnpm-workspace.yaml`, 'utf8')) as {
      patchedDependencies?: Record<string, string>;
    };
    const patches = Object.values(workspace.patchedDependencies ?? {});
    expect(patches.length).toBeGreaterThan(0);
    const dockerfile = readFileSync(`${root}/deploy/Dockerfile`, 'utf8');
    // Each stage that installs: what it copied before its install.
    for (const stage of dockerfile.split(/^FROM /m).filter((text) => /pnpm install/.test(text))) {
      const copied = stage.slice(0, stage.indexOf('pnpm install'));
      for (const patch of patches) {
        expect(existsSync(`${root}/${patch}`)).toBe(true);
        const folder = patch.split('/')[0]!;
        expect(copied, `a stage installs without ${patch}`).toMatch(
          new RegExp(`^COPY (\\. |${folder} )`, 'm'),
        );
      }
    }
  });

  it('builds the image from a Dockerfile that exists, and publishes the gateway on 8080', () => {
    const built = Object.values(compose.services).filter((service) => service.build);
    expect(built).toHaveLength(1);
    expect(existsSync(`${root}/${built[0]!.build!.dockerfile}`)).toBe(true);
    const publishedPort = '$' + '{GATEWAY_PUBLISHED_PORT:-8080}:8080';
    expect(compose.services.gateway!.ports).toEqual([publishedPort]);
  });

  it('points each service at the shared infrastructure and requires an encryption key', () => {
    for (const name of [...serviceDirs, ...workerServices.map((s) => `${s}-worker`)]) {
      const env = compose.services[name]!.environment!;
      expect(env.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(env.REDIS_URL).toBe('redis://redis:6379');
      expect(env.NATS_URL).toBe('nats://nats:4222');
      expect(env.ENCRYPTION_KEYS).toMatch(/:\?/);
    }
  });
});
