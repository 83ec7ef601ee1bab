// Ends conversations idle past their agent's inactivity timeout and gives quiet handoffs back to the bot.
// Started with the server and stopped on close; one per app instance.
import type { AppContext } from '../context';
import { createPeriodic, type Periodic } from '../util/periodic';
import type { AgentConfig } from '../engine/agent-config';
import { shortestIdleMinutes } from '../store/agents';
import { conversationsWithStrandedMessages, idleConversations } from '../store/conversations';
import { endConversation, quietPeriodOver, release } from './lifecycle';
import { answerStrandedMessages } from './turn';

const BATCH = 200;
/** A contact message still waiting for its turn after this long has nobody waiting for it: the sweeper answers it. */
const STRANDED_AFTER_MS = 60_000;

/** The shortest time after which the sweeper may act on one of this agent's conversations; null: never. */
export function idleMinutes(agent: AgentConfig): number | null {
	const minutes = [agent.ending?.inactivityMinutes, agent.handoff?.quietMinutes].filter((m): m is number => m !== undefined);
	return minutes.length ? Math.min(...minutes) : null;
}

/** One pass; returns how many conversations it ended or released. `now` is injectable for tests. */
export async function sweepConversations(ctx: AppContext, now = Date.now()): Promise<{ ended: number; released: number; answered: number }> {
	const answered = await answerStranded(ctx, now);
	return { ...(await endIdle(ctx, now)), answered };
}

/** Messages whose request gave up or died get their turn; the answer shows on the conversation (and in the widget). */
async function answerStranded(ctx: AppContext, now: number): Promise<number> {
	let answered = 0;
	for (const { workspaceId, conversationId } of await conversationsWithStrandedMessages(ctx.store.db, new Date(now - STRANDED_AFTER_MS).toISOString(), BATCH)) {
		answered += await answerStrandedMessages(ctx, workspaceId, conversationId);
	}
	return answered;
}

async function endIdle(ctx: AppContext, now: number): Promise<{ ended: number; released: number }> {
	// File agents plus every workspace's own (their shortest timeout is kept on their rows).
	const minutes = [...ctx.fileAgents.all().map(idleMinutes), (await shortestIdleMinutes(ctx.store.db)) ?? null].filter((m): m is number => m !== null);
	if (!minutes.length) return { ended: 0, released: 0 };
	const before = new Date(now - Math.min(...minutes) * 60_000).toISOString();
	let ended = 0;
	let released = 0;
	for (const conversation of await idleConversations(ctx.store.db, before, BATCH)) {
		const { workspaceId } = conversation;
		const agent = (await ctx.agentsFor(workspaceId)).get(conversation.agentId);
		if (conversation.status === 'human' && quietPeriodOver(agent, conversation, now)) {
			await release(ctx.store.db, workspaceId, conversation.id, 'quiet period over', 'sweeper');
			released++;
			continue;
		}
		const inactivity = agent?.ending?.inactivityMinutes;
		if (inactivity === undefined || now - Date.parse(conversation.updatedAt) < inactivity * 60_000) continue;
		const result = await ctx.store.db.transaction().execute((trx) =>
			endConversation(trx, ctx, workspaceId, conversation.id, { reason: 'inactivity', detail: `no message for ${inactivity} minutes`, by: 'sweeper' }),
		);
		if (result) {
			ended++;
			if (result.queued > 0) ctx.deliveriesQueued();
		}
	}
	return { ended, released };
}

/** Runs sweepConversations every intervalMs (0: never). */
export function createSweeper(ctx: AppContext, intervalMs: number, onError: (err: unknown) => void): Periodic {
	return createPeriodic(() => sweepConversations(ctx), intervalMs, onError);
}
