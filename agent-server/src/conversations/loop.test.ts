// A workflow that makes the bot fire the same action again for the same conversation inside the action's cooldown
// is a loop: suppressed, and the timeline says "loop locked" with the chain that led there.
import { AgentConfig } from '../engine/agent-config';
import { createOfflineEngine } from '../engine/offline';
import { buildTestApp, testRegistry, type TestApp } from '../testing/harness';

const BROCHURE_BOT = AgentConfig.parse({
	id: 'brochure-bot',
	name: 'Brochure Bot',
	actions: [{ id: 'send_brochure', name: 'Send Brochure', condition: { asks: ['brochure'] }, once: false, cooldownSeconds: 3600 }],
});

let t: TestApp;
beforeEach(async () => {
	t = await buildTestApp({ agents: testRegistry([BROCHURE_BOT]), engine: createOfflineEngine(), conversations: { sweepIntervalMs: 0 } });
});
afterEach(async () => {
	await t.close();
});

const fired = (r: any) => r.actions.find((a: any) => a.actionId === 'send_brochure');

test('re-fired by its own workflow inside the cooldown: loop locked with the chain', async () => {
	const first = (await t.call('POST', '/v1/chat', { agentId: 'brochure-bot', text: 'can you send the brochure?' })).json();
	expect(fired(first)).toMatchObject({ fired: true });
	const rootEventId = fired(first).eventId;

	// The workflow answers into the conversation as the contact channel would, carrying the event that started it.
	const again = await t.call(
		'POST',
		'/v1/chat',
		{ agentId: 'brochure-bot', conversationId: first.conversation.id, text: 'brochure sent: here is the brochure' },
		{ 'x-agent-bridge-causation': rootEventId },
	);
	expect(again.statusCode).toBe(200);
	expect(fired(again.json())).toMatchObject({ fired: false });

	const timeline = (await t.call('GET', `/v1/conversations/${first.conversation.id}`)).json().timeline;
	const lock = timeline.find((e: any) => e.kind === 'loop.blocked');
	expect(lock.detail).toMatchObject({ label: 'loop locked', actionId: 'send_brochure', parentEventId: rootEventId, depth: 1 });
	expect(lock.detail.chain.map((l: any) => l.eventId)).toEqual([rootEventId]);
	const events = await t.app.agentBridge.store.db.selectFrom('events').select('id').where('type', '=', 'agent.action.triggered').execute();
	expect(events).toHaveLength(1);
});

test('the contact asking again inside the cooldown is suppressed, not a loop', async () => {
	const first = (await t.call('POST', '/v1/chat', { agentId: 'brochure-bot', text: 'brochure please' })).json();
	const again = (await t.call('POST', '/v1/chat', { agentId: 'brochure-bot', conversationId: first.conversation.id, text: 'the brochure again?' })).json();
	expect(fired(again)).toMatchObject({ fired: false, reason: expect.stringContaining('cooldown') });
	const kinds = (await t.call('GET', `/v1/conversations/${first.conversation.id}`)).json().timeline.map((e: any) => e.kind);
	expect(kinds).toContain('action.suppressed');
	expect(kinds).not.toContain('loop.blocked');
});
