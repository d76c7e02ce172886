import { randomBytes } from 'node:crypto';

export interface BenchUser {
  email: string;
  password: string;
  accessToken: string;
}

/** Registers a fresh account through `baseUrl` (the gateway or identity itself) and returns its credentials. */
export async function registerBenchUser(baseUrl: string): Promise<BenchUser> {
  const suffix = randomBytes(6).toString('hex');
  const email = `bench-${suffix}@example.com`;
  const password = `bench-password-${randomBytes(9).toString('base64url')}`;
  const response = await fetch(`${baseUrl}/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, name: 'Bench User' }),
  });
  const body = (await response.json()) as { accessToken?: string };
  if (response.status !== 201 || !body.accessToken) {
    throw new Error(`register at ${baseUrl} answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return { email, password, accessToken: body.accessToken };
}

/** Fails unless one call answers 200: a benchmark of an error page would measure the wrong thing. */
export async function expectOk(url: string, init: RequestInit = {}): Promise<void> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text.slice(0, 300)}`);
}
