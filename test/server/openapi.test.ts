// GET /docs serves the OpenAPI description generated from the routes' schemas: it holds every route docs/api.md
// documents, and every request the n8n nodes send (each operation run against a real server app) is a described route.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { IDataObject, IHttpRequestOptions, INodeType } from 'n8n-workflow';
import { buildTestApp, type TestApp } from '../../agent-server/src/testing/harness';
import { AgentBridgeApi } from '../../credentials/AgentBridgeApi.credentials';
import { AgentBridgeContact } from '../../nodes/AgentBridgeContact/AgentBridgeContact.node';
import { AiAgentTrigger } from '../../nodes/AiAgentTrigger/AiAgentTrigger.node';
import { ConversationEndedTrigger } from '../../nodes/ConversationEndedTrigger/ConversationEndedTrigger.node';
import { ReplyToConversation } from '../../nodes/ReplyToConversation/ReplyToConversation.node';
import { ScoreLead } from '../../nodes/ScoreLead/ScoreLead.node';
import { TagAddedTrigger } from '../../nodes/TagAddedTrigger/TagAddedTrigger.node';

const repoRoot = path.resolve(__dirname, '..', '..');
const SERVER_URL = 'http://agent-server.test';

type OpenApi = { openapi: string; paths: Record<string, Record<string, unknown>> };

/** `GET /v1/contacts/:id` → ['get', '/v1/contacts/{id}'] */
function openApiKey(method: string, route: string): [string, string] {
	return [method.toLowerCase(), route.replace(/:([A-Za-z]+)/g, '{$1}')];
}

/** Whether a concrete request (`/v1/contacts/c_1/tags`) matches a described path template. */
function describedRoute(doc: OpenApi, method: string, url: string): string | undefined {
	const pathname = new URL(url, SERVER_URL).pathname;
	return Object.keys(doc.paths).find((template) => {
		const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
		return re.test(pathname) && method.toLowerCase() in doc.paths[template];
	});
}

let t: TestApp;
let doc: OpenApi;
beforeAll(async () => {
	t = await buildTestApp();
	const res = await t.app.inject({ method: 'GET', url: '/docs' });
	expect(res.statusCode).toBe(200);
	doc = res.json();
});
afterAll(() => t.close());

test('GET /docs is an OpenAPI 3 document, also as YAML', async () => {
	expect(doc.openapi).toMatch(/^3\./);
	expect(Object.keys(doc.paths).length).toBeGreaterThan(30);
	const yaml = await t.app.inject({ method: 'GET', url: '/docs/openapi.yaml' });
	expect(yaml.headers['content-type']).toMatch(/yaml/);
	expect(yaml.body).toMatch(/^openapi: 3\./m);
});

test('every route docs/api.md documents is in the OpenAPI document', () => {
	const apiMd = readFileSync(path.join(repoRoot, 'docs', 'api.md'), 'utf8');
	const routes = [...new Set(apiMd.match(/\b(GET|POST|PUT|PATCH|DELETE) \/[A-Za-z0-9_/:.\-]*/g) ?? [])];
	expect(routes.length).toBeGreaterThan(30);
	const missing = routes.filter((r) => {
		const [method, route] = openApiKey(...(r.split(' ') as [string, string]));
		return !(doc.paths[route.replace(/\/$/, '')] ?? {})[method];
	});
	expect(missing).toEqual([]);
});

test('the routes that take a body describe it', () => {
	const chat = doc.paths['/v1/chat'].post as { requestBody?: { content: Record<string, { schema: { properties?: object } }> } };
	expect(Object.keys(chat.requestBody!.content['application/json'].schema.properties ?? {})).toEqual(
		expect.arrayContaining(['agentId', 'text']),
	);
});

describe('the nodes call only described routes', () => {
	const calls: Array<{ method: string; url: string; status: number }> = [];

	/** n8n's authenticated request helper, answered by the real app. */
	async function httpRequestWithAuthentication(_credential: string, options: IHttpRequestOptions) {
		const url = new URL(options.url, options.baseURL ?? SERVER_URL);
		for (const [k, v] of Object.entries(options.qs ?? {})) url.searchParams.set(k, String(v));
		const res = await t.app.inject({
			method: (options.method ?? 'GET') as 'GET',
			url: `${url.pathname}${url.search}`,
			headers: { ...(options.headers as Record<string, string>), authorization: `Bearer ${t.apiKey}` },
			...(options.body !== undefined ? { payload: options.body as object } : {}),
		});
		calls.push({ method: options.method ?? 'GET', url: url.pathname, status: res.statusCode });
		const body = res.body ? JSON.parse(res.body) : undefined;
		return options.returnFullResponse ? { statusCode: res.statusCode, headers: res.headers, body } : body;
	}

	function context(params: IDataObject, staticData: IDataObject = {}, items: IDataObject[] = [{}]) {
		return {
			getInputData: () => items.map((json) => ({ json })),
			getNodeParameter: (name: string, _i: number, fallback?: unknown) => (name in params ? params[name] : fallback),
			getNode: () => ({ id: 'n1', name: 'node', type: 'test', typeVersion: 1, position: [0, 0], parameters: {} }),
			getCredentials: async () => ({ serverUrl: SERVER_URL, apiKey: t.apiKey }),
			continueOnFail: () => false,
			getWorkflowStaticData: () => staticData,
			getNodeWebhookUrl: () => 'http://n8n.test/webhook/abc/webhook',
			getMode: () => 'trigger',
			helpers: { httpRequestWithAuthentication },
		} as never;
	}

	async function execute(node: INodeType, params: IDataObject, items?: IDataObject[]) {
		return (await node.execute!.call(context(params, {}, items))) as Array<Array<{ json: IDataObject }>>;
	}

	test('every operation of every node', async () => {
		// Credential test request.
		const credentialTest = new AgentBridgeApi().test.request;
		await httpRequestWithAuthentication('agentBridgeApi', { ...credentialTest, baseURL: SERVER_URL } as IHttpRequestOptions);

		// Triggers: activation (checkExists, create), the dropdowns, deactivation.
		for (const Trigger of [AiAgentTrigger, ConversationEndedTrigger, TagAddedTrigger]) {
			const node = new Trigger();
			const staticData: IDataObject = {};
			const ctx = context({ agentId: '', actionId: '', tags: '', outcomes: [], channels: [] }, staticData);
			const hooks = node.webhookMethods!.default;
			await hooks.checkExists.call(ctx);
			await hooks.create.call(ctx);
			await hooks.checkExists.call(ctx);
			for (const load of Object.values(node.methods?.loadOptions ?? {})) await load.call(ctx);
			await hooks.delete.call(ctx);
		}

		// Contact: every operation on one contact.
		const contact = new AgentBridgeContact();
		const [[created]] = await execute(contact, {
			resource: 'contact',
			operation: 'upsert',
			email: 'dana@example.com',
			phone: '',
			additionalFields: { firstName: 'Dana', tags: 'lead' },
			customFields: { field: [{ name: 'budget', value: '5000' }] },
		});
		const contactId = String(created.json.id);
		await execute(contact, { resource: 'contact', operation: 'upsert', email: 'dana@example.com', phone: '', additionalFields: { tags: 'again' }, customFields: {} });
		await execute(contact, { resource: 'contact', operation: 'find', findBy: 'email', email: 'dana@example.com' });
		await execute(contact, { resource: 'contact', operation: 'get', contactId });
		await execute(contact, { resource: 'contact', operation: 'update', contactId, updateFields: { lastName: 'Lee' }, customFields: {} });
		await execute(contact, { resource: 'contact', operation: 'addTags', contactId, tags: 'vip' });
		await execute(contact, { resource: 'contact', operation: 'removeTag', contactId, tag: 'vip' });

		// Score Lead, with tagging.
		await execute(new ScoreLead(), { contactId, conversationId: '', rubricType: 'default', fieldsToUse: 'all', transcript: 'all', tagByScore: true, tagIfAtLeast: 0, hotTag: 'hot_lead', otherTag: 'nurture_lead', options: {} });

		// Reply to Conversation: start one, then reply into it.
		const [[started]] = await execute(new ReplyToConversation(), { operation: 'startConversation', contactId, agentId: 'test-agent', channel: 'api', messageType: 'text', text: 'Hello from n8n' });
		const conversationId = String(started.json.conversationId ?? started.json.id);
		await execute(new ReplyToConversation(), { operation: 'reply', conversationId, messageType: 'text', text: 'A reply', options: {} });

		const undescribed = calls.filter((c) => !describedRoute(doc, c.method, c.url)).map((c) => `${c.method} ${c.url}`);
		expect(undescribed).toEqual([]);
		// The calls really reached the routes (not 404s of routes that do not exist).
		expect(calls.filter((c) => c.status >= 400)).toEqual([]);
		const used = new Set(calls.map((c) => `${c.method} ${describedRoute(doc, c.method, c.url)}`));
		expect([...used].sort()).toEqual(
			expect.arrayContaining([
				'GET /v1/whoami',
				'GET /v1/agents',
				'POST /v1/subscriptions',
				'GET /v1/subscriptions/{id}',
				'DELETE /v1/subscriptions/{id}',
				'GET /v1/contacts',
				'POST /v1/contacts',
				'GET /v1/contacts/{id}',
				'PATCH /v1/contacts/{id}',
				'POST /v1/contacts/{id}/tags',
				'DELETE /v1/contacts/{id}/tags/{tag}',
				'POST /v1/contacts/{id}/score',
				'POST /v1/conversations',
				'POST /v1/conversations/{id}/replies',
			]),
		);
	});
});
