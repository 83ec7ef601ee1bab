// Webhook destinations: the operator's allow list at creation, link-local and metadata addresses always refused
// (also when a name resolves there at delivery time), and no redirect followed.
import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildTestApp, startReceiver, useRelayApp, waitUntil, type Receiver, type TestApp } from '../testing/harness';
import { allowedHostsFromEnv, createDestinationPolicy, type ResolveHost } from './destinations';

/** A resolver that knows only the given names. */
function fakeResolve(table: Record<string, string>): ResolveHost {
	return async (hostname) => {
		const address = table[hostname];
		if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
		return [{ address, family: address.includes(':') ? 6 : 4 } satisfies LookupAddress];
	};
}

describe('destination policy', () => {
	it('always refuses link-local and metadata hosts, allow list or not', async () => {
		for (const allowed of [[], ['169.254.0.0/16', 'fe80::/10', 'metadata.google.internal']]) {
			const policy = createDestinationPolicy(allowed);
			for (const url of [
				'http://169.254.169.254/latest',
				'http://169.254.10.1:8080/x',
				'http://[fe80::1]/x',
				'http://[::ffff:169.254.169.254]/x',
				'http://metadata.google.internal/x',
				'http://METADATA.google.internal./x',
				'http://100.100.100.200/x',
				'http://[fd00:ec2::254]/x',
			]) {
				expect(await policy.checkUrl(url)).toMatch(/link-local|metadata/);
			}
		}
	});

	it('passes only listed names, subdomains, addresses and ranges when an allow list is set', async () => {
		const policy = createDestinationPolicy(['n8n.internal', '*.example.org', '10.0.0.0/8', '::1'], fakeResolve({ 'n8n-b.lan': '10.4.5.6', 'public.test': '93.184.216.34' }));
		expect(policy.restricted).toBe(true);
		for (const ok of ['http://n8n.internal:5678/webhook/x', 'https://hooks.example.org/x', 'http://10.1.2.3/x', 'http://[::1]:5678/x', 'http://n8n-b.lan/x']) {
			expect(await policy.checkUrl(ok)).toBeUndefined();
		}
		expect(await policy.checkUrl('http://example.com/x')).toMatch(/not in the allowed webhook hosts/);
		expect(await policy.checkUrl('http://11.0.0.1/x')).toMatch(/11\.0\.0\.1 is not in the allowed webhook hosts/);
		expect(await policy.checkUrl('http://public.test/x')).toMatch(/resolves to 93\.184\.216\.34, which is not in the allowed/);
		expect(await policy.checkUrl('http://nowhere.test/x')).toMatch(/could not be resolved/);
		// Without a list: any host, and no lookup at creation (n8n may not be up yet).
		expect(await createDestinationPolicy().checkUrl('http://nowhere.test/x')).toBeUndefined();
	});

	it('refuses every IPv6 form that embeds a metadata or link-local IPv4 address', async () => {
		const policy = createDestinationPolicy();
		for (const url of [
			'http://[::169.254.169.254]/x',
			'http://[::a9fe:a9fe]/x',
			'http://[0:0:0:0:0:ffff:a9fe:a9fe]/x',
			'http://[::ffff:0:169.254.169.254]/x',
			'http://[64:ff9b::169.254.169.254]/x',
			'http://[64:ff9b:1::a9fe:a9fe]/x',
			'http://[2002:a9fe:a9fe::1]/x',
			'http://[::ffff:169.254.10.1]:8080/x',
			// Teredo: the client address inverted (169.254.169.254 is 5601:5601); ISATAP.
			'http://[2001:0:4136:e378:8000:63bf:5601:5601]/x',
			'http://[fe81::5efe:169.254.169.254]/x',
			'http://[2001:db8::200:5efe:a9fe:a9fe]/x',
		]) {
			expect({ url, why: await policy.checkUrl(url) }).toEqual({ url, why: expect.stringMatching(/link-local|metadata/) });
		}
		// The same embedding of an ordinary address is that address, and checked as such.
		expect(await createDestinationPolicy(['10.0.0.0/8']).checkUrl('http://[64:ff9b::10.1.2.3]/x')).toBeUndefined();
		expect(await createDestinationPolicy(['10.0.0.0/8']).checkUrl('http://[2002:b00:1::1]/x')).toMatch(/11\.0\.0\.1 is not in the allowed/);
	});

	it('takes allow list entries with a port, which then allow only that port', async () => {
		const policy = createDestinationPolicy(['n8n.internal:5678', '10.0.0.5:5678', '[fd00::5]:443'], fakeResolve({}));
		for (const ok of ['http://n8n.internal:5678/webhook/x', 'http://10.0.0.5:5678/x', 'https://[fd00::5]/x']) expect(await policy.checkUrl(ok)).toBeUndefined();
		for (const bad of ['http://n8n.internal/webhook/x', 'http://n8n.internal:5679/x', 'http://10.0.0.5/x', 'http://[fd00::5]:8443/x']) {
			expect(await policy.checkUrl(bad)).toMatch(/not in the allowed webhook hosts/);
		}
		expect(() => createDestinationPolicy(['n8n.internal:99999'])).toThrow(/invalid port/);
		expect(() => createDestinationPolicy(['10.0.0.0/8:5678'])).toThrow(/invalid range/);
	});

	it("refuses the server's own listening address unless the allow list names it", async () => {
		const open = createDestinationPolicy([], fakeResolve({ localhost: '127.0.0.1', 'me.lan': '10.9.9.9' }));
		open.setOwnAddresses([{ address: '0.0.0.0', port: 3000 }, { address: '10.9.9.9', port: 3000 }]);
		for (const url of ['http://127.0.0.1:3000/v1/chat', 'http://localhost:3000/x', 'http://[::1]:3000/x', 'http://127.1.2.3:3000/x', 'http://me.lan:3000/x']) {
			expect({ url, why: await open.checkUrl(url) }).toEqual({ url, why: expect.stringMatching(/this server's own address; list it in WEBHOOK_ALLOWED_HOSTS/) });
		}
		// The unspecified address in any spelling reaches this machine: refused whatever the port, allow list or not.
		for (const policy of [open, createDestinationPolicy(['10.0.0.0/8'])]) {
			for (const url of ['http://0.0.0.0:3000/x', 'http://0:3000/x', 'http://0.1.2.3/x', 'http://[::ffff:0.0.0.0]:3000/x', 'http://[::]:3000/x', 'http://[::ffff:0:0]/x']) {
				expect({ url, why: await policy.checkUrl(url) }).toEqual({ url, why: expect.stringMatching(/unspecified address/) });
			}
		}
		expect(open.checkAddress('zero.example', '0.0.0.0', 3000)).toMatch(/unspecified address/);
		expect(await open.checkUrl('http://127.0.0.1:5678/webhook/x')).toBeUndefined();
		expect(open.checkAddress('localhost', '127.0.0.1', 3000)).toMatch(/own address/);
		const allowed = createDestinationPolicy(['127.0.0.1:3000'], fakeResolve({}));
		allowed.setOwnAddresses([{ address: '127.0.0.1', port: 3000 }]);
		expect(await allowed.checkUrl('http://127.0.0.1:3000/x')).toBeUndefined();
	});

	it('reads WEBHOOK_ALLOWED_HOSTS and refuses a bad range', () => {
		expect(allowedHostsFromEnv(' n8n.internal , 10.0.0.0/8,,')).toEqual(['n8n.internal', '10.0.0.0/8']);
		expect(allowedHostsFromEnv('  ')).toBeUndefined();
		expect(() => createDestinationPolicy(['10.0.0.0/40'])).toThrow(/invalid range/);
		expect(() => createDestinationPolicy(['n8n.internal/8'])).toThrow(/invalid range/);
	});
});

describe('subscription destinations (API)', () => {
	let t: TestApp;
	beforeAll(async () => {
		t = await buildTestApp({ webhookAllowedHosts: ['n8n.internal', '10.0.0.0/8'] });
	});
	afterAll(() => t.close());
	const subscribe = (url: string) => t.call('POST', '/v1/subscriptions', { url, events: ['contact.tag.added'] });
	const stored = async () => (await t.call('GET', '/v1/subscriptions')).json().data as unknown[];

	it('answers 400 for a host outside the allow list and stores nothing', async () => {
		for (const url of ['http://example.com/x', 'http://192.168.1.5/x', 'http://169.254.169.254/latest', 'http://[fe80::1]/x']) {
			const res = await subscribe(url);
			expect(res.statusCode).toBe(400);
			expect(res.json()).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/^body\/url: .*(not in the allowed webhook hosts|link-local|metadata)/) });
		}
		expect(await stored()).toEqual([]);
	});

	it("refuses a subscription to the listening server's own port", async () => {
		const own = await buildTestApp();
		try {
			await own.app.listen({ port: 0, host: '127.0.0.1' });
			const { port } = own.app.server.address() as AddressInfo;
			const res = await own.call('POST', '/v1/subscriptions', { url: `http://127.0.0.1:${port}/v1/chat`, events: ['contact.tag.added'] });
			expect(res.json()).toMatchObject({ statusCode: 400, message: expect.stringMatching(/^body\/url: .*own address/) });
		} finally {
			await own.close();
		}
	});

	it('accepts a listed name and an address in a listed range', async () => {
		expect((await subscribe('http://n8n.internal:5678/webhook/a')).statusCode).toBe(201);
		expect((await subscribe('http://10.20.30.40:5678/webhook/b')).statusCode).toBe(201);
		expect(await stored()).toHaveLength(2);
	});
});

describe('destinations at delivery time', () => {
	const s = useRelayApp();
	const deliveries = () => s.t.app.agentBridge.store.db.selectFrom('deliveries').selectAll().execute();

	async function fireTo(url: string) {
		const created = await s.t.call('POST', '/v1/subscriptions', { url, events: ['agent.action.triggered'] });
		expect(created.statusCode).toBe(201);
		return (await s.t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' })).json();
	}

	it('does not contact a name that resolves to a metadata address, and says why on the timeline', async () => {
		const resolve = fakeResolve({ 'hooks.test': '169.254.169.254' });
		await s.start(undefined, { relay: { retryScheduleMs: [0, 20], destinations: createDestinationPolicy([], resolve) } });
		const port = new URL(s.receiver.url).port;
		const chat = await fireTo(`http://hooks.test:${port}/webhook`);
		await waitUntil(async () => (await deliveries())[0]?.status === 'failed', 20_000, 'the delivery to fail');
		const why = 'destination refused: hooks.test resolves to 169.254.169.254: cloud metadata addresses are not allowed';
		expect((await deliveries())[0]).toMatchObject({ attempts: 2, last_error: why, last_status_code: null });
		expect(s.receiver.received).toHaveLength(0);
		const conv = (await s.t.call('GET', `/v1/conversations/${chat.conversation.id}`)).json();
		const timeline = conv.timeline.filter((e: { kind: string }) => e.kind === 'delivery').map((e: { detail: object }) => e.detail);
		expect(timeline).toEqual([expect.objectContaining({ status: 'retrying', error: why }), expect.objectContaining({ status: 'failed', error: why })]);
	});

	it('connects to the address it checked (a name resolved by the policy reaches the receiver)', async () => {
		const resolve = fakeResolve({ 'n8n.test': '127.0.0.1' });
		await s.start(undefined, { relay: { destinations: createDestinationPolicy(['n8n.test'], resolve) } });
		await fireTo(`http://n8n.test:${new URL(s.receiver.url).port}/webhook`);
		await s.receiver.waitFor(1);
		expect(s.receiver.received[0].headers.host).toBe(`n8n.test:${new URL(s.receiver.url).port}`);
		await waitUntil(async () => (await deliveries())[0]?.status === 'delivered');
	});

	it('refuses at delivery a resolved address outside the allow list', async () => {
		const resolve = fakeResolve({ 'moved.test': '127.0.0.1' });
		await s.start(undefined, { relay: { retryScheduleMs: [0], destinations: createDestinationPolicy(['10.0.0.0/8'], resolve) } });
		await fireTo(`http://moved.test:${new URL(s.receiver.url).port}/webhook`);
		await waitUntil(async () => (await deliveries())[0]?.status === 'failed');
		expect((await deliveries())[0].last_error).toMatch(/moved\.test resolves to 127\.0\.0\.1, which is not in the allowed webhook hosts/);
		expect(s.receiver.received).toHaveLength(0);
	});

	describe('redirects', () => {
		let redirector: Server;
		let target: Receiver;
		let t: TestApp | undefined;
		afterEach(async () => {
			await t?.close();
			await target.close();
			await new Promise<void>((r) => redirector.close(() => r()));
		});

		it('are not followed: the second receiver gets nothing and the delivery fails as a non-2xx', async () => {
			target = await startReceiver();
			let hits = 0;
			redirector = createServer((req, res) => {
				hits++;
				req.resume();
				res.writeHead(302, { location: target.url }).end();
			});
			await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
			const url = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/webhook`;
			t = await buildTestApp({ relay: { pollIntervalMs: 20, retryScheduleMs: [0, 20] } });
			await t.call('POST', '/v1/subscriptions', { url, events: ['agent.action.triggered'] });
			await t.call('POST', '/v1/chat', { agentId: 'test-agent', text: 'fire:lead_scoring' });
			const db = t.app.agentBridge.store.db;
			await waitUntil(async () => (await db.selectFrom('deliveries').selectAll().execute())[0]?.status === 'failed');
			expect((await db.selectFrom('deliveries').selectAll().execute())[0]).toMatchObject({ attempts: 2, last_error: 'HTTP 302', last_status_code: 302 });
			expect(hits).toBe(2);
			expect(target.received).toHaveLength(0);
		});
	});
});
