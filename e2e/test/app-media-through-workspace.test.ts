import {
  type ConversationHarness,
  startConversationHarness,
} from '@conduit/conversation/test/fixtures/conversation-harness.js';
import {
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
} from '@conduit/identity/test/fixtures/identity-harness.js';
import {
  multipart,
  startWorkspaceHarness,
  type WorkspaceHarness,
} from '@conduit/workspace/test/fixtures/workspace-harness.js';
import { afterAll, beforeAll, expect, it } from 'vitest';

// An app's logo and avatar through the real services: conversation asks the running workspace
// service (rpc.workspace.media.describe, as the app's manager) about media uploaded to it, with
// identity's own access tokens verified by both. An app takes its owner's public images only.

let identity: IdentityHarness;
let workspace: WorkspaceHarness;
let conversation: ConversationHarness;
type Account = Awaited<ReturnType<typeof registerUser>>;
let owner: Account;
let other: Account;

// A 1x1 PNG: sniffed from its bytes as image/png.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

beforeAll(async () => {
  identity = await startIdentityHarness();
  const identityUrl = await identity.app.listen({ port: 0, host: '127.0.0.1' });
  const shared = { namespace: identity.namespace, usage: false, identityJwks: true };
  workspace = await startWorkspaceHarness({ ...shared, env: { IDENTITY_URL: identityUrl } });
  conversation = await startConversationHarness({ ...shared, env: { IDENTITY_URL: identityUrl } });
  owner = await registerUser(identity);
  other = await registerUser(identity);
}, 90_000);
afterAll(async () => {
  await conversation?.close();
  await workspace?.close();
  await identity?.close();
});

const auth = (account: Account) => ({ authorization: `Bearer ${account.accessToken}` });

/** Uploads an image as `account`, public when asked; answers its media id. */
async function uploadImage(account: Account, options: { public: boolean }) {
  const body = multipart({ name: 'logo.png', contentType: 'image/png', bytes: PNG });
  const res = await workspace.app.inject({
    method: 'POST',
    url: '/v1/media',
    headers: { ...auth(account), ...body.headers },
    payload: body.payload,
  });
  expect(res.statusCode, res.body).toBe(201);
  expect(res.json().contentType).toBe('image/png');
  const id = res.json().id as string;
  if (options.public) {
    const made = await workspace.app.inject({
      method: 'PATCH',
      url: `/v1/media/${id}`,
      headers: auth(account),
      payload: { public: true },
    });
    expect(made.statusCode, made.body).toBe(200);
  }
  return id;
}

const setLook = (appId: string, look: Record<string, unknown>) =>
  conversation.app.inject({
    method: 'PATCH',
    url: `/v1/apps/${appId}/appearance`,
    headers: auth(owner),
    payload: look,
  });

it("sets an app's logo to its owner's uploaded image, and refuses another user's", async () => {
  const bot = await conversation.app.inject({
    method: 'POST',
    url: '/v1/bots',
    headers: auth(owner),
    payload: { name: 'Shop helper' },
  });
  expect(bot.statusCode, bot.body).toBe(201);
  const app = await conversation.app.inject({
    method: 'POST',
    url: '/v1/apps',
    headers: auth(owner),
    payload: { name: 'Shop chat', botId: bot.json().id },
  });
  expect(app.statusCode, app.body).toBe(201);
  const appId = app.json().id as string;

  const logo = await uploadImage(owner, { public: true });
  const set = await setLook(appId, { logoMediaId: logo });
  expect(set.statusCode, set.body).toBe(200);
  expect(set.json()).toMatchObject({ logoMediaId: logo });
  // What the widget will show is downloadable by anyone from the workspace service.
  const download = await workspace.app.inject({ method: 'GET', url: `/v1/public/media/${logo}` });
  expect(download.statusCode).toBe(200);
  expect(download.rawPayload.equals(PNG)).toBe(true);

  // The owner's own image that visitors could not download: refused, saying why.
  const privateLogo = await uploadImage(owner, { public: false });
  const notPublic = await setLook(appId, { avatarMediaId: privateLogo });
  expect(notPublic.statusCode).toBe(422);
  expect(notPublic.json().detail).toContain('public');

  // Another user's images, private or public, are answered as an id that does not exist.
  const theirsPrivate = await uploadImage(other, { public: false });
  const theirsPublic = await uploadImage(other, { public: true });
  const unknown = await setLook(appId, { avatarMediaId: crypto.randomUUID() });
  expect(unknown.statusCode).toBe(422);
  for (const mediaId of [theirsPrivate, theirsPublic]) {
    const refused = await setLook(appId, { avatarMediaId: mediaId });
    expect(refused.statusCode, refused.body).toBe(422);
    expect(refused.json().detail).toBe(unknown.json().detail);
  }
  const kept = await conversation.app.inject({
    method: 'GET',
    url: `/v1/apps/${appId}/appearance`,
    headers: auth(owner),
  });
  expect(kept.json()).toMatchObject({ logoMediaId: logo, avatarMediaId: null });
});
