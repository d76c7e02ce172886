import { countRows, injectSender, probeUnstorableInput } from '@conduit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SCHEMA } from '../../src/service.js';
import {
  bearer,
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
} from '../fixtures/identity-harness.js';

let harness: IdentityHarness;
let accessToken: string;
const adminEmail = 'unstorable-admin@example.com';

beforeAll(async () => {
  // A platform admin, so that the admin routes (404 to anyone else) are probed too.
  harness = await startIdentityHarness({ env: { PLATFORM_ADMIN_EMAILS: adminEmail } });
  ({ accessToken } = await registerUser(harness, { email: adminEmail }));
});
afterAll(() => harness?.close());

it('refuses text and JSON Postgres cannot store in every field of every route, storing nothing', async () => {
  const before = await countRows(harness.admin, [SCHEMA]);
  const report = await probeUnstorableInput({
    document: harness.app.swagger(),
    send: injectSender(harness.app),
    headers: bearer(accessToken),
  });
  expect(report.failures).toEqual([]);
  expect(report.probes).toBeGreaterThan(100);
  expect(await countRows(harness.admin, [SCHEMA])).toEqual(before);
});
