// n8n's own AI Agent uses the Contact node as a tool: the model (a fake OpenAI-compatible server) asks for the
// tool, n8n runs the Contact node against the agent server, and the tag lands on the contact.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { RunningAgentServer, startAgentServer } from './support/agent-server';
import { e2eDir, N8nApi, repoRoot, waitFor } from './support/n8n';

const { n8n: n8nState } = JSON.parse(readFileSync(path.join(e2eDir, 'state.json'), 'utf8'));
const n8n = new N8nApi(n8nState);
let server: RunningAgentServer;
let model: FakeOpenAI;
let contactId: string;
let toolResult: string | undefined;

beforeAll(async () => {
	server = await startAgentServer();
	const created = await server.api('POST', '/v1/contacts', { firstName: 'Robin', email: 'robin@example.com' });
	expect(created.status).toBe(201);
	contactId = created.body.id;

	model = await startFakeOpenAI({
		respond: (body) => {
			const toolMessage = body.messages.find((m: any) => m.role === 'tool');
			if (toolMessage) {
				toolResult = typeof toolMessage.content === 'string' ? toolMessage.content : JSON.stringify(toolMessage.content);
				return { content: 'Robin is now tagged vip_customer.' };
			}
			const tool = body.tools?.[0]?.function;
			if (!tool) return { content: 'No tool was offered.' };
			return {
				status: 200,
				body: {
					id: 'chatcmpl-tool',
					object: 'chat.completion',
					created: Math.floor(Date.now() / 1000),
					model: body.model,
					choices: [
						{
							index: 0,
							finish_reason: 'tool_calls',
							message: {
								role: 'assistant',
								content: null,
								tool_calls: [
									{
										id: 'call_1',
										type: 'function',
										function: { name: tool.name, arguments: JSON.stringify({ contactId, tags: 'vip_customer' }) },
									},
								],
							},
						},
					],
					usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
				},
			};
		},
	});

	const bridge = await n8n.createCredential('Agent Bridge API', 'agentBridgeApi', { serverUrl: server.url, apiKey: server.apiKey });
	const openAi = await n8n.createCredential('OpenAI', 'openAiApi', { apiKey: 'sk-test', url: model.url });
	const text = readFileSync(path.join(repoRoot, 'docs', 'workflows', 'ai-agent-contact-tool.json'), 'utf8')
		.replaceAll('OPENAI_CREDENTIAL_ID', openAi.id)
		.replaceAll('CREDENTIAL_ID', bridge.id);
	const workflow = await n8n.importWorkflow(JSON.parse(text));
	await n8n.activate(workflow.id);
}, 120_000);

afterAll(async () => {
	await server?.stop();
	await model?.close();
});

test('the AI Agent calls the Contact tool and the tag lands on the contact', async () => {
	let answer: any;
	await waitFor(
		async () => {
			const res = await fetch(`${n8nState.url}/webhook/agent-bridge-contact-tool`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ message: `Please tag contact ${contactId} as a VIP customer.` }),
			});
			if (res.status === 404) return false; // activation still finishing
			answer = await res.json();
			return true;
		},
		30_000,
		'the AI Agent workflow webhook',
	);
	expect(answer).toMatchObject({ output: 'Robin is now tagged vip_customer.' });

	const contact = (await server.api('GET', `/v1/contacts/${contactId}`)).body;
	expect(contact.tags).toContain('vip_customer');
	// The model saw the tool's real answer: the contact as the agent server returned it.
	expect(toolResult).toContain(contactId);
	expect(toolResult).toContain('vip_customer');
	const offered = model.requests[0].body.tools.map((t: any) => t.function.name);
	expect(offered).toHaveLength(1);
}, 60_000);
