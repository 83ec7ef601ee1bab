// n8n's own AI Agent uses the Contact node as a tool: the model (a fake OpenAI-compatible server) asks for the
// tool, n8n runs the Contact node against the agent server, and the tag lands on the contact.
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { waitFor } from './support/n8n';
import { type Scenario, useScenario } from './support/scenario';

let model: FakeOpenAI;
let contactId: string;
let toolResult: string | undefined;

const s = useScenario({
	workflows: ['ai-agent-contact-tool.json'],
	// Its trigger is n8n's own webhook: nothing subscribes on the agent server.
	subscriptions: 0,
	prepare: contactAndModel,
});

/** A contact to tag and the fake model that asks the AI Agent to tag it; returns the model's credential id. */
async function contactAndModel({ server, n8n }: Scenario) {
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

	const openAi = await n8n.createCredential('OpenAI', 'openAiApi', { apiKey: 'sk-test', url: model.url });
	return { OPENAI_CREDENTIAL_ID: openAi.id };
}

afterAll(async () => {
	await model?.close();
});

test('the AI Agent calls the Contact tool and the tag lands on the contact', async () => {
	let answer: any;
	await waitFor(
		async () => {
			const res = await fetch(`${s.instance.url}/webhook/agent-bridge-contact-tool`, {
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

	const contact = await s.contact(contactId);
	expect(contact.tags).toContain('vip_customer');
	// The model saw the tool's real answer: the contact as the agent server returned it.
	expect(toolResult).toContain(contactId);
	expect(toolResult).toContain('vip_customer');
	const offered = model.requests[0].body.tools.map((t: any) => t.function.name);
	expect(offered).toHaveLength(1);
}, 60_000);
