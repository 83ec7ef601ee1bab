// One turn at a time per conversation, across every instance on one database: a lease on the conversation row
// (taken with one conditional UPDATE, so a crashed holder frees it when it runs out). Waiters on this instance are
// woken when the lease is given back; waiters on other instances notice by polling.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { claimTurn, releaseTurn } from '../store/conversations';
import type { Store } from '../store/database';
import { notifyLiveSoon } from '../store/live-bus';

export interface TurnQueueOptions {
	/** How long a turn may hold the conversation before another instance may take it over (default 2 min). */
	leaseMs?: number;
	/** How long a message waits for the turns before it; then the request answers 202 (default 60 s). */
	queueWaitMs?: number;
	/** How often a waiter looks for a lease given back on another instance (default 50 ms). */
	pollMs?: number;
}

export interface TurnLease {
	/** Keeps the lease while the turn waits for a workflow's result (the wait plus the usual lease). */
	extendFor(ms: number): Promise<void>;
	release(): Promise<void>;
}

export interface TurnQueue {
	/**
	 * Waits until this caller holds the conversation's turn lease; 'answered' when, while the lease is held elsewhere,
	 * `answered()` says the caller's message was answered by another holder; 'timeout' past the queue wait.
	 */
	acquire(workspaceId: string, conversationId: string, answered: () => Promise<boolean>): Promise<TurnLease | 'answered' | 'timeout'>;
	/** The lease if nobody holds it now, else null (for the sweeper). */
	tryAcquire(workspaceId: string, conversationId: string): Promise<TurnLease | null>;
}

export function createTurnQueue(store: Store, options: TurnQueueOptions = {}): TurnQueue {
	const leaseMs = options.leaseMs ?? 120_000;
	const queueWaitMs = options.queueWaitMs ?? 60_000;
	const pollMs = options.pollMs ?? 50;
	const wakers = new Map<string, Set<() => void>>();

	function wake(conversationId: string): void {
		for (const wakeUp of wakers.get(conversationId) ?? []) wakeUp();
	}

	/** Resolves when the lease is given back on this instance, or after `ms`. */
	async function nap(conversationId: string, ms: number): Promise<void> {
		const controller = new AbortController();
		const set = wakers.get(conversationId) ?? new Set();
		wakers.set(conversationId, set);
		const wakeUp = () => controller.abort();
		set.add(wakeUp);
		try {
			await sleep(ms, undefined, { signal: controller.signal }).catch(() => undefined);
		} finally {
			set.delete(wakeUp);
			if (!set.size) wakers.delete(conversationId);
		}
	}

	const until = (ms: number) => new Date(Date.now() + ms).toISOString();
	async function claim(workspaceId: string, conversationId: string): Promise<TurnLease | null> {
		const owner = randomUUID();
		if (!(await claimTurn(store.db, workspaceId, conversationId, owner, until(leaseMs)))) return null;
		// The agent's turn is running: live pages show it typing until the lease is given back.
		notifyLiveSoon(store.db, { k: 'typing', w: workspaceId, c: conversationId, who: 'agent', on: true });
		return {
			extendFor: async (ms) => void (await claimTurn(store.db, workspaceId, conversationId, owner, until(Math.max(0, ms) + leaseMs))),
			release: async () => {
				await releaseTurn(store.db, workspaceId, conversationId, owner);
				notifyLiveSoon(store.db, { k: 'typing', w: workspaceId, c: conversationId, who: 'agent', on: false });
				wake(conversationId);
			},
		};
	}

	return {
		tryAcquire: claim,
		async acquire(workspaceId, conversationId, answered) {
			const giveUpAt = Date.now() + queueWaitMs;
			for (;;) {
				const lease = await claim(workspaceId, conversationId);
				if (lease) return lease;
				if (await answered()) return 'answered';
				const left = giveUpAt - Date.now();
				if (left <= 0) return 'timeout';
				await nap(conversationId, Math.min(pollMs, left));
			}
		},
	};
}
