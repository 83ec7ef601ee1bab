// compose.yaml stays in step with the server: every setting it gives the agent server is one the server knows and
// accepts, browsers reach the server only through the proxy it trusts, and n8n announces an address the server reaches.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadSettings, settingsSchema } from '../../agent-server/src/settings';
import { repoRoot } from '../e2e/support/n8n';

type Service = { environment?: Record<string, string>; ports?: string[]; command?: string; build?: string };
const compose = parse(readFileSync(path.join(repoRoot, 'compose.yaml'), 'utf8')) as { services: Record<string, Service> };
/** ${VAR:-default} and ${VAR:?message} as compose fills them in with nothing set (required ones get a stand-in). */
const filled = (value: string) => value.replace(/\$\{(\w+)(:-([^}]*)|:\?[^}]*)?\}/g, (_m, name, _o, fallback) => fallback ?? `given-${name}`);

test('the agent server gets only settings it knows, and accepts them', () => {
	const env = Object.fromEntries(Object.entries(compose.services['agent-server'].environment ?? {}).map(([k, v]) => [k, filled(String(v))]));
	const known = Object.keys(settingsSchema.shape);
	expect(Object.keys(env).filter((k) => !known.includes(k))).toEqual([]);
	const settings = loadSettings(env);
	expect(settings.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
	expect(compose.services['agent-server'].build).toBe('.');
});

test('with TRUST_PROXY set, the agent server is published only through the proxy', () => {
	expect(compose.services['agent-server'].environment?.TRUST_PROXY).toBe('1');
	expect(compose.services['agent-server'].ports).toBeUndefined();
	expect(compose.services.proxy.command).toContain('--to agent-server:3000');
});

test('n8n announces the address the agent server delivers to, and gets the package installed first', () => {
	expect(compose.services.n8n.environment?.WEBHOOK_URL).toBe('http://n8n:5678/');
	expect(compose.services['agent-server'].environment?.WEBHOOK_ALLOWED_HOSTS).toBe('n8n');
	expect(compose.services['n8n-nodes'].command).toContain('npm install');
});

test("the agent server's stop grace period is longer than its shutdown drain", () => {
	const grace = (compose.services['agent-server'] as Service & { stop_grace_period?: string }).stop_grace_period;
	const env = Object.fromEntries(Object.entries(compose.services['agent-server'].environment ?? {}).map(([k, v]) => [k, filled(String(v))]));
	expect(grace).toMatch(/^\d+s$/);
	expect(Number.parseInt(grace!, 10) * 1000).toBeGreaterThan(loadSettings(env).SHUTDOWN_DRAIN_MS);
});
