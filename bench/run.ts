import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { analyticsScenario } from './analytics.js';
import { conversationScenario } from './conversation.js';
import { emailScenario } from './email.js';
import { gatewayScenario } from './gateway.js';
import { gatewayOverheadScenario } from './gateway-overhead.js';
import { cleanUpAll, cleanUpOnSignals } from './harness/cleanup.js';
import { knowledgeBaseScenario } from './knowledge-base.js';
import { knowledgeBaseEvalScenario } from './knowledge-base-eval.js';
import { knowledgeBaseTenantsScenario } from './knowledge-base-tenants.js';
import { loginScenario } from './login.js';
import { usageReserveScenario } from './usage-reserve.js';
import { workflowScenario } from './workflow.js';
import { workspaceScenario } from './workspace.js';

// `pnpm bench [scenario...]`: runs the named scenarios one after another (all of them by default).
// Benchmarks report figures; they never assert a time and are never part of `pnpm test`.

const benchDir = fileURLToPath(new URL('./', import.meta.url));

const scenarios: Record<string, () => Promise<void>> = {
  analytics: analyticsScenario,
  conversation: conversationScenario,
  email: emailScenario,
  gateway: gatewayScenario,
  'gateway-overhead': gatewayOverheadScenario,
  'knowledge-base': knowledgeBaseScenario,
  'knowledge-base-eval': knowledgeBaseEvalScenario,
  'knowledge-base-tenants': knowledgeBaseTenantsScenario,
  login: loginScenario,
  'usage-reserve': usageReserveScenario,
  workflow: workflowScenario,
  workspace: workspaceScenario,
};
// The BASIC engine's benchmark is its own script; it runs in a process of its own when present.
if (existsSync(`${benchDir}basic.ts`)) scenarios.basic = () => runScript('basic.ts');

function runScript(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: benchDir, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${file} exited with ${signal ?? `code ${code}`}`)),
    );
  });
}

const requested = process.argv.slice(2).filter((arg) => arg !== '--');
const unknown = requested.filter((name) => !(name in scenarios));
if (unknown.length) {
  console.error(`Unknown scenario: ${unknown.join(', ')}. Available: ${Object.keys(scenarios).join(', ')}.`);
  process.exit(2);
}

cleanUpOnSignals();
const failed: string[] = [];
for (const name of requested.length ? requested : Object.keys(scenarios)) {
  const started = Date.now();
  console.error(`\n== ${name} ==`);
  try {
    await scenarios[name]!();
  } catch (error) {
    failed.push(name);
    console.error(`${name} failed:`, error);
  } finally {
    await cleanUpAll();
  }
  console.error(`== ${name} took ${Math.round((Date.now() - started) / 1000)} s ==`);
}
if (failed.length) {
  console.error(`\nFailed: ${failed.join(', ')}`);
  process.exit(1);
}
