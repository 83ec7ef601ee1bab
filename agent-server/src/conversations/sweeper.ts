// Ends conversations idle past their agent's inactivity timeout and gives quiet handoffs back to the bot.
// Started with the server and stopped on close; one per app instance.
import type { AppContext } from '../context';
import { idleConversations } from '../store/conversations';
import { endConversation, quietPeriodOver, release } from './lifecycle';

const BATCH = 200;

/** One pass; returns how many conversations it ended or released. `now` is injectable for tests. */
export async function sweepConversations(ctx: AppContext, now = Date.now()): Promise<{ ended: number; released: number }> {
	const agents = ctx.agents.list();
	const minutes = agents.flatMap((a) => [a.ending?.inactivityMinutes, a.handoff?.quietMinutes]).filter((m): m is number => m !== undefined);
	if (!minutes.length) return { ended: 0, released: 0 };
	const before = new Date(now - Math.min(...minutes) * 60_000).toISOString();
	let ended = 0;
	let released = 0;
	for (const conversation of await idleConversations(ctx.store.db, before, BATCH)) {
		const agent = ctx.agents.get(conversation.agentId);
		const { workspaceId } = conversation;
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

export interface Sweeper {
	start(): void;
	stop(): Promise<void>;
}

export function createSweeper(ctx: AppContext, intervalMs: number, onError: (err: unknown) => void): Sweeper {
	let timer: NodeJS.Timeout | undefined;
	let running: Promise<unknown> | undefined;
	const tick = () => {
		if (running) return;
		running = sweepConversations(ctx)
			.catch(onError)
			.finally(() => {
				running = undefined;
			});
	};
	return {
		start() {
			if (intervalMs > 0 && !timer) timer = setInterval(tick, intervalMs);
		},
		async stop() {
			if (timer) clearInterval(timer);
			timer = undefined;
			await running;
		},
	};
}
