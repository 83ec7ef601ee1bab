// The seed's warning made real: a workflow that re-adds the tag that started it would run forever. The loop guard
// stops it at the causation depth limit (5), and the conversation's timeline says why, with the chain.
import { nodeOutput, waitFor } from './support/n8n';
import { useScenario } from './support/scenario';

const s = useScenario({ workflows: ['circular-chain.json'] });

test('a workflow that re-triggers itself runs up to the depth limit, then the loop is locked with a visible reason', async () => {
	const chat = await s.chat('lead-qualifier', 'I need a new website ASAP');
	const conversationId = chat.conversation.id;

	let timeline: any[] = [];
	await waitFor(
		async () => {
			timeline = (await s.conversation(conversationId)).timeline;
			return timeline.some((e) => e.kind === 'loop.blocked');
		},
		60_000,
		'the loop guard',
	);
	const lock = timeline.find((e) => e.kind === 'loop.blocked');
	expect(lock.detail).toMatchObject({ label: 'loop locked', eventType: 'contact.tag.added', depth: 6 });
	expect(lock.detail.reason).toMatch(/past the limit of 5/);
	expect(lock.detail.chain).toHaveLength(6);
	expect(lock.detail.chain.map((l: any) => l.depth)).toEqual([0, 1, 2, 3, 4, 5]);

	// One run per event in the chain, then nothing more.
	await waitFor(async () => (await s.n8n.executions(s.workflowIds[0])).filter((e) => e.finished).length === 6, 30_000, 'six runs');
	await new Promise((r) => setTimeout(r, 2000));
	const executions = await s.n8n.executions(s.workflowIds[0]);
	expect(executions).toHaveLength(6);
	const depths = executions.map((e) => nodeOutput(e, 'Urgent Tag Added')[0][0].causation.depth).sort();
	expect(depths).toEqual([0, 1, 2, 3, 4, 5]);
}, 120_000);
